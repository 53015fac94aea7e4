"""A corpus of hostile and broken inputs, each with the outcome the standard requires.

Every entry point that takes bytes from outside (the command line, `validate_bytes`, the
decoders, a receiver's HTTP routes) must give each case its expected outcome and never a
traceback::

    from ics_interop.testing.hostile import hostile_cases

    for case in hostile_cases():
        response = client.post("/messages", content=case.data, headers={"Content-Type": case.media_type})
        assert response.status_code == case.http_status_class ...

Outcomes:

- ``hostile``: refused outright as an attack on the parser (a DTD, entities, nesting past the
  limit): `HostileInputError`, exit status 2, rule INPUT-001;
- ``unusable``: not one readable message at all (not UTF-8, not well-formed, not strict JSON,
  not a message of the standard): `UnusableInputError`, exit status 2, rule INPUT-001;
- ``invalid``: a readable message that breaks the schemas: `DecodeError`, exit status 1;
- ``valid``: a message the standard accepts (the cases that must *not* be refused, such as a
  UTF-8 byte order mark).

The cases are built from the shipped examples, so each differs from a valid message only by
what it tests. They are small: the largest is a few hundred kilobytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Literal

import attrs

from ..examples import example_files

__all__ = ["HostileCase", "Outcome", "hostile_cases", "judge_input"]

Outcome = Literal["hostile", "unusable", "invalid", "valid"]


@attrs.frozen
class HostileCase:
    """One input and the outcome every entry point must give it."""

    name: str
    data: bytes
    format: Literal["xml", "json"]
    outcome: Outcome
    why: str

    @property
    def media_type(self) -> str:
        """The media type a sender would declare for it."""
        return "application/xml" if self.format == "xml" else "application/json"

    @property
    def exit_status(self) -> int:
        """The status `ics-interop validate` must exit with."""
        return {"hostile": 2, "unusable": 2, "invalid": 1, "valid": 0}[self.outcome]

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as (name, data, outcome)."""
        return iter((self.name, self.data, self.outcome))


def _xml(name: str = "Acknowledgement") -> bytes:
    return example_files()[f"{name}.xml"]


def _json(name: str = "Acknowledgement") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(example_files()[f"{name}.json"])
    return data


def _body(document: bytes) -> bytes:
    """The document without its XML declaration, so something can go before the root."""
    return document.split(b"?>", 1)[1].lstrip()


def _replace(document: bytes, old: bytes, new: bytes) -> bytes:
    if old not in document:
        raise AssertionError(f"the example no longer holds {old!r}: update the hostile corpus")
    return document.replace(old, new, 1)


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _set(example: str, path: tuple[str, ...], value: Any) -> bytes:
    """The JSON example of a message type with one member changed."""
    data = _json(example)
    target = data
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    return _dump(data)


def _xml_cases() -> Iterator[HostileCase]:
    ack = _xml()
    body = _body(ack)
    decl = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = b'xmlns="urn:ics-interop:schema:v1"'

    def xml(name: str, data: bytes, outcome: Outcome, why: str) -> HostileCase:
        return HostileCase(name, data, "xml", outcome, why)

    entity_in_header = _replace(body, b"<OrganisationId>DCSF</OrganisationId>", b"<OrganisationId>&e;</OrganisationId>")
    yield xml(
        "xxe-file",
        decl + b'<!DOCTYPE Acknowledgement [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n' + entity_in_header,
        "hostile",
        "an external entity that reads a local file (XXE)",
    )
    yield xml(
        "xxe-network",
        decl + b'<!DOCTYPE Acknowledgement [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]>\n' + entity_in_header,
        "hostile",
        "an external entity that reaches the network (SSRF)",
    )
    yield xml(
        "doctype-after-comment",
        decl + b'<!-- <a> -->\n<!DOCTYPE Acknowledgement [<!ENTITY e "DCSF">]>\n' + entity_in_header,
        "hostile",
        "a DOCTYPE after a comment that holds a start tag, with an internal entity used",
    )
    yield xml(
        "doctype-after-pi",
        decl + b"<?pi <a?>\n<!DOCTYPE Acknowledgement>\n" + body,
        "hostile",
        "a DOCTYPE after a processing instruction that holds a start tag, no entity used",
    )
    yield xml(
        "doctype-after-70k-comment",
        decl + b"<!--" + b"x" * 70_000 + b"-->\n<!DOCTYPE Acknowledgement>\n" + body,
        "hostile",
        "a DOCTYPE after more than 64 KiB of comment, otherwise a valid message",
    )
    yield xml(
        "doctype-after-70k-comment-entity",
        decl + b"<!--" + b"x" * 70_000 + b'-->\n<!DOCTYPE Acknowledgement [<!ENTITY e "DCSF">]>\n' + entity_in_header,
        "hostile",
        "a DOCTYPE after more than 64 KiB of comment, with an entity used in the message",
    )
    yield xml(
        "external-dtd",
        decl + b'<!DOCTYPE Acknowledgement SYSTEM "http://example.invalid/evil.dtd">\n' + body,
        "hostile",
        "an external DTD to fetch",
    )
    yield xml(
        "public-dtd",
        decl + b'<!DOCTYPE Acknowledgement PUBLIC "-//EVIL//DTD//EN" "file:///etc/passwd">\n' + body,
        "hostile",
        "a public identifier with a system URL",
    )
    yield xml(
        "parameter-entity",
        decl + b'<!DOCTYPE Acknowledgement [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n' + body,
        "hostile",
        "an external parameter entity (the out-of-band XXE)",
    )
    laughs = b"".join(b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10 if i else b"lol") for i in range(10))
    yield xml(
        "billion-laughs",
        decl + b"<!DOCTYPE Acknowledgement [" + laughs + b"]>\n" + _replace(body, b">DCSF<", b">&l9;<"),
        "hostile",
        "nested entities that expand to 10^9 copies",
    )
    yield xml(
        "quadratic-blowup",
        decl
        + b'<!DOCTYPE Acknowledgement [<!ENTITY a "'
        + b"a" * 20_000
        + b'">]>\n'
        + _replace(body, b">DCSF<", b">" + b"&a;" * 5_000 + b"<"),
        "hostile",
        "one large entity referenced thousands of times",
    )
    yield xml(
        "doctype-in-batch",
        decl + b"<!DOCTYPE MessageBatch>\n<MessageBatch " + ns + b">" + body + b"</MessageBatch>",
        "hostile",
        "a DOCTYPE before a batch, which is streamed",
    )
    yield xml(
        "lowercase-doctype",
        decl + b"<!doctype Acknowledgement>\n" + body,
        "unusable",
        "not a DOCTYPE at all, and not well-formed XML",
    )
    yield xml(
        "deep-nesting",
        b"<Acknowledgement " + ns + b">" + b"<Header>" * 5_000 + b"</Header>" * 5_000 + b"</Acknowledgement>",
        "unusable",
        "elements nested deeper than the parser's limit (256)",
    )
    yield xml("deep-nesting-unknown-root", b"<a>" * 100_000 + b"</a>" * 100_000, "unusable", "deep and unknown")
    yield xml("empty", b"", "unusable", "nothing at all")
    yield xml("whitespace", b" \n\t ", "unusable", "white space only")
    yield xml("declaration-only", decl, "unusable", "an XML declaration and no root")
    yield xml("truncated", ack[: len(ack) // 2], "unusable", "a message cut in half")
    yield xml("truncated-batch", b"<MessageBatch " + ns + b">" + body, "unusable", "a batch never closed")
    yield xml("two-roots", ack + body, "unusable", "a second root element after the message")
    yield xml("trailing-garbage", ack + b"\x00garbage", "unusable", "bytes after the root")
    yield xml("nul-byte", _replace(ack, b"DCSF", b"DC\x00SF"), "unusable", "a NUL byte in a text node")
    yield xml("bad-utf8", _replace(ack, b"DCSF", b"DC\xffSF"), "unusable", "a byte that is not UTF-8")
    yield xml("overlong-utf8", _replace(ack, b"DCSF", b"DC\xc0\xafSF"), "unusable", "an over-long UTF-8 sequence")
    yield xml("utf16-bom", ack.decode("utf-8").encode("utf-16"), "unusable", "UTF-16 with a byte order mark")
    yield xml(
        "latin1-declared",
        _replace(ack, b"encoding='UTF-8'", b"encoding='ISO-8859-1'"),
        "unusable",
        "an encoding other than UTF-8 declared",
    )
    yield xml("utf8-bom", b"\xef\xbb\xbf" + ack, "valid", "a UTF-8 byte order mark, which XML allows")
    yield xml(
        "unknown-root",
        b"<Payload " + ns + b"/>",
        "unusable",
        "a root element that is not a message of the standard",
    )
    yield xml(
        "wrong-namespace",
        _replace(ack, b"urn:ics-interop:schema:v1", b"urn:ics-interop:schema:v9"),
        "unusable",
        "a message in another namespace",
    )
    yield xml("no-namespace", _replace(ack, b" " + ns, b""), "unusable", "a message in no namespace")
    yield xml(
        "xinclude",
        _replace(
            ack,
            b"<Status>",
            b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/><Status>',
        ),
        "invalid",
        "an XInclude, which is never processed and is an element the schema does not allow",
    )
    yield xml(
        "element-out-of-order",
        _replace(
            _replace(ack, b"<Status>accepted</Status>", b""),
            b"<AcknowledgedMessageId>",
            b"<Status>accepted</Status><AcknowledgedMessageId>",
        ),
        "invalid",
        "elements out of the schema's order (found by fuzzing)",
    )
    yield xml(
        "element-twice",
        _replace(ack, b"<Status>accepted</Status>", b"<Status>rejected</Status><Status>accepted</Status>"),
        "invalid",
        "a single element given twice: the decoder must not keep the last",
    )
    yield xml(
        "text-beside-elements",
        _replace(ack, b"</Sender>", b"text</Sender>"),
        "invalid",
        "text between child elements (found by fuzzing)",
    )
    update = _xml("ChildIdentityUpdate")
    contact = re.search(rb"<Contact>.*?</Contact>", update, re.DOTALL)
    assert contact is not None, "the ChildIdentityUpdate example no longer has a Contact: update the hostile corpus"
    yield xml(
        "text-instead-of-elements",
        _replace(update, contact.group(0), b"<Contact>07700 900461</Contact>"),
        "invalid",
        "text in an element whose elements are all optional, and no element: the decoder must not drop it "
        "(found by fuzzing)",
    )
    yield xml(
        "attribute",
        _replace(ack, b"<Status>", b'<Status code="x">'),
        "invalid",
        "an attribute, which the standard never uses",
    )
    yield xml(
        "namespace-error",
        _replace(ack, b"<Status>accepted</Status>", b"<:Status>accepted</:Status>"),
        "unusable",
        "a tag that is not a qualified name, which libxml2 recovers from (found by fuzzing)",
    )
    yield xml(
        "cdata-and-comments",
        _replace(ack, b"<Status>accepted</Status>", b"<Status><![CDATA[accepted]]><!-- c --></Status>"),
        "valid",
        "CDATA and a comment inside a value: well-formed, and the same text",
    )
    yield xml(
        "carriage-return-reference",
        _replace(ack, b">Department for Children", b">&#13;Department for Children"),
        "invalid",
        "a carriage return written as a character reference, which the standard's text refuses",
    )
    for name, created in [
        ("timestamp-without-seconds", b"2010-02-17T15:30Z"),
        ("timestamp-with-space", b"2010-02-17 15:30:04Z"),
        ("timestamp-date-only", b"2010-02-17"),
        ("timestamp-24h", b"2010-02-17T24:00:00Z"),
        ("timestamp-5-digit-year", b"12010-02-17T15:30:04Z"),
        ("timestamp-offset-15h", b"2010-02-17T15:30:04+15:00"),
        ("timestamp-no-offset", b"2010-02-17T15:30:04"),
        ("timestamp-lowercase", b"2010-02-17t15:30:04z"),
    ]:
        yield xml(
            name,
            _replace(ack, b"2010-02-17T15:30:04Z", created),
            "invalid",
            "a timestamp XML Schema's dateTime, RFC 3339 or the model refuses",
        )
    yield xml(
        "timestamp-white-space",
        _replace(ack, b">2010-02-17T15:30:04Z<", b">\n  2010-02-17T15:30:04Z\n<"),
        "valid",
        "white space around a timestamp, which XML Schema collapses",
    )
    caf = _xml("CafIndicatorUpdate")
    flags: list[tuple[str, bytes, Outcome]] = [
        ("flag-yes", b"yes", "invalid"),
        ("flag-one", b"1", "valid"),
        ("flag-TRUE", b"TRUE", "invalid"),
    ]
    for name, flag, outcome in flags:
        yield xml(
            name,
            _replace(caf, b"<CafExists>true</CafExists>", b"<CafExists>" + flag + b"</CafExists>"),
            outcome,
            "xs:boolean is true, false, 1 or 0 and nothing else",
        )
    yield xml(
        "huge-count",
        _replace(
            _xml("MigrationBatch"),
            b"<EpisodeCount>",
            b"<EpisodeCount>" + b"9" * 5_000,
        ),
        "invalid",
        "a 5,000-digit count",
    )


def _json_cases() -> Iterator[HostileCase]:
    def js(name: str, data: bytes, outcome: Outcome, why: str) -> HostileCase:
        return HostileCase(name, data, "json", outcome, why)

    ack = _json()
    text = _dump(ack)
    yield js("deep-array", b"[" * 100_000, "hostile", "100,000 nested arrays, unclosed")
    yield js("deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "hostile", "50,000 nested objects")
    deep = _dump({**ack, "status": "@"}).replace(b'"@"', b"[" * 990 + b"]" * 990)
    yield js("deep-in-message", deep, "hostile", "a 990-deep array inside a valid message")
    yield js("nan", _replace(text, b'"accepted"', b"NaN"), "unusable", "NaN is not JSON")
    yield js("infinity", _replace(text, b'"accepted"', b"-Infinity"), "unusable", "Infinity is not JSON")
    yield js("huge-float", _replace(text, b'"accepted"', b"1e999"), "unusable", "a number no system can hold")
    yield js("huge-integer", _replace(text, b'"accepted"', b"9" * 5_000), "unusable", "a 5,000-digit integer")
    other = json.dumps(ack["header"]).replace('"Acknowledgement"', '"ChildIdentityUpdate"').encode()
    yield js(
        "duplicate-header",
        b'{"header": ' + other + b", " + text[1:],
        "unusable",
        "two headers: the first says one message type, the second another",
    )
    yield js(
        "duplicate-member",
        _replace(text, b'"status": "accepted"', b'"status": "rejected", "status": "accepted"'),
        "unusable",
        "a member given twice",
    )
    yield js(
        "lone-surrogate-escape",
        _replace(text, b'"Department', b'"\\ud800Department'),
        "unusable",
        "a \\ud800 escape with no pair",
    )
    yield js(
        "lone-surrogate-bytes",
        _replace(text, b'"Department', b'"\xed\xa0\x80Department'),
        "unusable",
        "a surrogate encoded in UTF-8 bytes, which UTF-8 forbids",
    )
    yield js(
        "escaped-backslash-u",
        _replace(text, b'"Department', b'"\\\\ud800 Department'),
        "valid",
        "a backslash then 'ud800': text, not a surrogate",
    )
    yield js("bad-utf8", _replace(text, b"Department", b"Dep\xffartment"), "unusable", "a byte that is not UTF-8")
    yield js("utf16", text.decode().encode("utf-16"), "unusable", "UTF-16")
    yield js("utf16-no-bom", text.decode().encode("utf-16-le"), "unusable", "UTF-16 without a byte order mark")
    yield js(
        "utf8-bom", b"\xef\xbb\xbf" + text, "valid", "a UTF-8 byte order mark, which RFC 8259 lets a reader ignore"
    )
    yield js("nul-byte", _replace(text, b"Department", b"Dep\x00artment"), "unusable", "a raw NUL inside a string")
    yield js("control-character", _replace(text, b"Department", b"Dep\x07artment"), "unusable", "a raw control byte")
    yield js("truncated", text[: len(text) // 2], "unusable", "a message cut in half")
    yield js("empty", b"", "unusable", "nothing at all")
    yield js("trailing-garbage", text + b" x", "unusable", "bytes after the value")
    yield js("not-an-object", b'"Acknowledgement"', "unusable", "a JSON string, not a message")
    yield js("empty-object", b"{}", "unusable", "an object with no header")
    yield js("unknown-type", _replace(text, b'"Acknowledgement"', b'"Payload"'), "unusable", "an unknown message type")
    yield js(
        "message-type-not-text",
        _replace(text, b'"messageType": "Acknowledgement"', b'"messageType": ["Acknowledgement"]'),
        "unusable",
        "a message type that is not text",
    )
    for name, value in [
        ("timestamp-without-seconds", "2010-02-17T15:30Z"),
        ("timestamp-with-space", "2010-02-17 15:30:04Z"),
        ("timestamp-date-only", "2010-02-17"),
        ("timestamp-24h", "2010-02-17T24:00:00Z"),
        ("timestamp-offset-23h", "2010-02-17T15:30:04+23:59"),
        ("timestamp-lowercase", "2010-02-17t15:30:04z"),
        ("timestamp-number", 1266420604),
        ("timestamp-white-space", " 2010-02-17T15:30:04Z"),
    ]:
        yield js(name, _set("Acknowledgement", ("header", "createdAt"), value), "invalid", "a timestamp refused")
    yield js("null-member", _set("Acknowledgement", ("header", "correlationId"), None), "invalid", "null")
    for name, flag in [("flag-string-1", "1"), ("flag-string-true", "true"), ("flag-number", 1)]:
        yield js(
            name,
            _set("CafIndicatorUpdate", ("cafExists",), flag),
            "invalid",
            "a JSON flag is true or false, nothing else",
        )
    for name, count in [("count-string", "1"), ("count-float", 1.5), ("count-flag", True)]:
        yield js(name, _set("MigrationBatch", ("manifest", "episodeCount"), count), "invalid", "a count is a number")
    yield js(
        "date-as-timestamp",
        _set("CafIndicatorUpdate", ("updatedOn",), "2010-02-17T00:00:00"),
        "invalid",
        "a timestamp where a date belongs",
    )


def hostile_cases() -> Iterator[HostileCase]:
    """Every case of the corpus, XML first, each with a unique name within its format."""
    yield from _xml_cases()
    yield from _json_cases()


#: Finding rule IDs that say a message breaks the schemas (as opposed to the business rules).
_SCHEMA_RULES = ("XSD-", "JSON-", "MODEL-", "XML-")


def judge_input(data: bytes) -> Outcome:
    """Give `data` to every entry point; return the outcome they agree on.

    `validate_bytes`, `from_xml` and `from_json` must raise nothing but the library's own
    errors, and (for a single message) the validator's verdict and the decoder's must agree:
    unusable input is `UnusableInputError` from the decoder, a schema error is `DecodeError`,
    and a message the schemas accept decodes. Raises `AssertionError` when they do not; any
    other exception is a crash and propagates. The fuzzers run this on every input.
    """
    from ..codecs import from_json, from_xml
    from ..errors import DecodeError, HostileInputError, IcsInteropError, UnusableInputError
    from ..validate import validate_bytes

    report = validate_bytes(data)
    decoded: dict[str, Outcome] = {}
    for name, decode in (("xml", from_xml), ("json", from_json)):
        try:
            decode(data)
            decoded[name] = "valid"
        except HostileInputError:
            decoded[name] = "hostile"
        except UnusableInputError:
            decoded[name] = "unusable"
        except DecodeError as exc:
            if not exc.findings:
                raise AssertionError(f"{name}: a DecodeError without findings: {exc}") from None
            decoded[name] = "invalid"
        except IcsInteropError as exc:  # pragma: no cover - every error is one of the above
            raise AssertionError(f"{name}: an unexpected library error {exc!r}") from None
    if report.unusable:
        verdict: Outcome = "unusable"
    elif any(f.rule_id.startswith(_SCHEMA_RULES) for f in report.findings if f.severity.value == "error"):
        verdict = "invalid"
    else:
        verdict = "valid"
    if report.format not in ("xml", "json") or report.batch:
        return verdict
    mine = decoded[report.format]
    if (mine == "hostile" and verdict == "unusable") or mine == verdict:
        return mine
    raise AssertionError(
        f"the validator says {verdict} ({report.unusable or [f.describe() for f in report.findings][:3]}) "
        f"but from_{report.format} says {mine}"
    )
