"""The validator: parse safely, check the schema, decode, check the rules, report findings.

A file holds one message or a batch (an XML `MessageBatch`, a JSON array, or JSON Lines);
the type is detected. Batches are streamed: each message is checked and then dropped, so
memory stays flat however long the batch is. Every finding names the rule or schema
constraint, its severity, where (path, and line for XML), what is wrong and how to fix it.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from functools import cache
from pathlib import Path
from typing import IO, Any, Literal, cast

import attrs
from jsonschema import Draft202012Validator, ValidationError
from lxml import etree

from .codecs.json import from_json, from_json_data, message_class_for_data
from .codecs.safe_json import parse_json
from .codecs.safe_xml import MAX_MESSAGE_BYTES, check_document_start, refuse_dtd, safe_parser
from .codecs.xml import (
    BATCH_ELEMENT,
    NAMESPACE,
    element_to_message,
    line_of,
    locate_element,
    message_class_for_tag,
    path_of,
)
from .errors import DecodeError, HostileInputError, IcsInteropError, UnusableInputError
from .findings import Finding, Severity
from .messages import MESSAGE_CLASSES, Message
from .rules import run_rules
from .schemagen import XSD_FILE, json_schema_validator, version_folder
from .schemas_path import schemas_root
from .shape import format_path

__all__ = [
    "CheckedMessage",
    "FileReport",
    "Progress",
    "check_messages",
    "read_messages",
    "read_messages_from_bytes",
    "validate_bytes",
    "validate_message",
    "validate_path",
]

#: Called as records are checked: (bytes read so far, total bytes or None, records so far).
Progress = Callable[[int, int | None, int], None]

_NS = "{" + NAMESPACE + "}"
#: The root element of a Children in Need census return: recognised, to point to `cin validate`.
CIN_CENSUS_ROOT = "Message"


@attrs.define
class FileReport:
    """What validating one file found."""

    source: str
    format: Literal["xml", "json", "unknown"] = "unknown"
    records: int = 0
    findings: list[Finding] = attrs.Factory(list)
    unusable: str | None = None
    #: Whether the file is a batch (a `MessageBatch`, a JSON array or JSON Lines), not one message.
    batch: bool = False

    @property
    def errors(self) -> int:
        """The number of error findings."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        """The number of warning findings."""
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "source": self.source,
            "format": self.format,
            "records": self.records,
            "errors": self.errors,
            "warnings": self.warnings,
            "unusable": self.unusable,
            "findings": [f.to_dict() for f in self.findings],
        }


def validate_message(message: Message, *, record: int | None = None) -> list[Finding]:
    """Check an already built message against the business rules (its types pydantic has checked)."""
    return list(run_rules(message, record=record))


# --- XML ---------------------------------------------------------------------------------------


@cache
def _xml_schema() -> etree.XMLSchema:
    path = schemas_root() / version_folder() / XSD_FILE
    return etree.XMLSchema(etree.parse(str(path)))


def _element_at(record: etree._Element, xpath: str | None) -> etree._Element:
    """Follow libxml2's error path (`/*/*[2]/*`, rooted at the record) to its element."""
    element = record
    steps = [s for s in (xpath or "").split("/") if s][1:]
    for step in steps:
        match = re.fullmatch(r"\*(?:\[(\d+)\])?", step)
        if match is None:
            break
        children = [c for c in element if isinstance(c.tag, str)]
        index = int(match.group(1) or 1) - 1
        if index >= len(children):
            break
        element = children[index]
    return element


def _clean(message: str) -> str:
    return message.replace(_NS, "")


_XSD_HINTS = {
    "SCHEMAV_CVC_ENUMERATION_VALID": "use one of the codes listed (the code sets are in the documentation)",
    "SCHEMAV_CVC_PATTERN_VALID": "write the value in the form the pattern gives",
    "SCHEMAV_CVC_MINLENGTH_VALID": "the value is too short for its type",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "shorten the value to the maximum length",
    "SCHEMAV_CVC_LENGTH_VALID": "give the value its exact length",
    "SCHEMAV_ELEMENT_CONTENT": (
        "add the missing element, remove the unexpected one, or put the elements in the schema's order"
    ),
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": (
        "write dates as YYYY-MM-DD, timestamps as YYYY-MM-DDThh:mm:ssZ, booleans as true/false"
    ),
    "SCHEMAV_CVC_ELT_1": "the root must be a message of the standard in its namespace",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "remove the attribute: the standard uses no attributes",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "remove the text between child elements",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "remove the element: the standard does not define it here",
}


def _xsd_rule_id(type_name: str) -> str:
    return "XSD-" + type_name.removeprefix("SCHEMAV_").lower().replace("_", "-")


def _schema_findings(element: etree._Element, index: int | None) -> tuple[type[Message] | None, list[Finding]]:
    """Check one message element against the XSD: its class (when known) and what failed."""
    try:
        cls = message_class_for_tag(element.tag)
    except UnusableInputError as exc:
        finding = Finding(
            "XSD-cvc-elt-1", Severity.ERROR, exc.message, line=line_of(element), hint=exc.hint, record=index
        )
        return None, [finding]
    schema = _xml_schema()
    if schema.validate(element):
        return cls, []
    findings = []
    for err in cast(Iterable[Any], schema.error_log):
        at = _element_at(element, err.path)
        findings.append(
            Finding(
                _xsd_rule_id(err.type_name),
                Severity.ERROR,
                _clean(err.message),
                path=path_of(element, at, cls),
                line=err.line or line_of(at),
                hint=_XSD_HINTS.get(err.type_name, "correct the element as the message says"),
                record=index,
            )
        )
    return cls, findings


def _content_checked(
    element: etree._Element, cls: type[Message], index: int | None
) -> tuple[list[Finding], Message | None]:
    """Decode a schema-valid message element and check the business rules, with XML lines."""
    try:
        message = element_to_message(element, schema_valid=True)  # only ever called after the XSD passed
    except DecodeError as exc:
        return [attrs.evolve(f, record=index) for f in exc.findings], None
    findings = []
    for finding in run_rules(message, record=index):
        located = locate_element(element, cls, _split_path(finding.path))
        findings.append(attrs.evolve(finding, line=line_of(located) if located is not None else None))
    return findings, message


def _content_findings(element: etree._Element, cls: type[Message], index: int | None) -> list[Finding]:
    return _content_checked(element, cls, index)[0]


def _checked_record(element: etree._Element, index: int | None) -> tuple[list[Finding], Message | None]:
    """Schema, decoding and rules of one message element: the findings, and the message when it could be decoded."""
    cls, findings = _schema_findings(element, index)
    if cls is None or findings:
        return findings, None
    return _content_checked(element, cls, index)


def _check_record(element: etree._Element, index: int | None) -> list[Finding]:
    return _checked_record(element, index)[0]


@cache
def _worker_parser() -> etree.XMLParser:
    # One parser per worker process (lxml parsers are not shared across threads; workers have one).
    return safe_parser()


def _check_serialised(chunk: list[tuple[int | None, int, bytes]]) -> list[Finding]:
    """In a worker process: check records serialised by the reader (schema, decoding, rules), lines made absolute.

    The chunk is parsed and schema-checked as one `MessageBatch` (one validation instead of
    hundreds); only when that fails is each record checked alone, for its own findings.
    """
    parts = [b"<" + BATCH_ELEMENT.encode() + b' xmlns="' + NAMESPACE.encode() + b'">\n']
    starts = []  # the line each record starts on in the joined document
    line = 2
    for _, _, data in chunk:
        starts.append(line)
        parts.append(data)
        parts.append(b"\n")
        line += data.count(b"\n") + 1
    parts.append(b"</" + BATCH_ELEMENT.encode() + b">")
    batch = etree.fromstring(b"".join(parts), _worker_parser())
    elements = [e for e in batch if isinstance(e.tag, str)]
    valid = _xml_schema().validate(batch)
    findings: list[Finding] = []
    for (index, first_line, _), start, element in zip(chunk, starts, elements, strict=True):
        found = _check_record(element, index) if not valid else _content_findings_for(element, index)
        for finding in found:
            at = finding.line + first_line - start if finding.line else first_line
            findings.append(attrs.evolve(finding, line=at))
    return findings


def _content_findings_for(element: etree._Element, index: int | None) -> list[Finding]:
    return _content_findings(element, message_class_for_tag(element.tag), index)


class _WorkerPool:
    """Checks records in other processes, in order, with bounded work in flight.

    The reader (this process) parses the batch and hands each message over as bytes; the
    workers check the schema, decode and check the rules. At most `2 * workers` chunks are in
    flight, so memory stays bounded however long the batch is.
    """

    CHUNK = 500

    def __init__(self, workers: int, report: FileReport) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        self.limit = 2 * workers
        self.report = report
        self.chunk: list[tuple[int | None, int, bytes]] = []
        self.in_flight: deque[Future[list[Finding]]] = deque()

    def add(self, element: etree._Element, index: int | None) -> None:
        data = etree.tostring(element, with_tail=False)
        self.chunk.append((index, line_of(element) or 1, data))
        if len(self.chunk) >= self.CHUNK:
            self._submit()

    def _submit(self) -> None:
        if self.chunk:
            self.in_flight.append(self.executor.submit(_check_serialised, self.chunk))
            self.chunk = []
        while len(self.in_flight) > self.limit:
            self.report.findings.extend(self.in_flight.popleft().result())

    def finish(self) -> None:
        self._submit()
        while self.in_flight:
            self.report.findings.extend(self.in_flight.popleft().result())
        self.executor.shutdown()

    def abandon(self) -> None:
        for future in self.in_flight:
            future.cancel()
        self.executor.shutdown(cancel_futures=True)


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    return parts


class _CountingReader:
    """A file wrapper that counts bytes read, for progress and for the per-message limit."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


@cache
def _record_tags() -> list[str]:
    return [_NS + BATCH_ELEMENT, *(_NS + t.value for t in MESSAGE_CLASSES)]


def _xml_records(
    stream: IO[bytes], report: FileReport, progress: Progress | None, total: int | None
) -> Iterator[tuple[int | None, etree._Element]]:
    """The message elements of an XML document (one message, or each member of a batch), with their index.

    Each is dropped from the tree once the caller has taken the next: memory stays flat.
    """
    root_tag = check_document_start(stream.read)
    stream.seek(0)
    report.batch = root_tag == _NS + BATCH_ELEMENT
    if root_tag == CIN_CENSUS_ROOT:
        raise UnusableInputError(
            "this is a Children in Need census return (a <Message> in no namespace), not a message of the standard",
            hint="check it with `ics-interop cin validate FILE`: the census's own schema and rules",
        )
    if not report.batch:
        message_class_for_tag(root_tag)  # refused from the prolog alone: the rest is never read
    reader = _CountingReader(stream)
    # Only the batch and message elements raise events: the parser does the rest in C.
    events = etree.iterparse(
        reader,
        events=("start", "end"),
        tag=_record_tags(),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root: etree._Element | None = None
    batch = False
    record_start = 0
    try:
        for event, element in events:
            if event == "start":
                if root is None:
                    refuse_dtd(element.getroottree())  # the parser's own record, besides the prolog check
                    root, batch = element, element.tag == _NS + BATCH_ELEMENT
                elif batch and element.getparent() is root:
                    record_start = reader.count
                continue
            # A message-named element nested inside a message is content, not a record: its
            # record's schema check reports it.
            if not ((batch and element.getparent() is root) or (not batch and element is root)):
                continue
            if reader.count - record_start > MAX_MESSAGE_BYTES:
                raise UnusableInputError(
                    f"message {report.records} is larger than the limit of {MAX_MESSAGE_BYTES} bytes",
                    hint="split the message, or validate it on its own with a larger limit",
                    line=line_of(element),
                )
            yield (report.records if batch else None), element
            report.records += 1
            if batch:
                element.clear()
                while element.getprevious() is not None:
                    del root[0]
            if progress is not None:
                progress(reader.count, total, report.records)
    except etree.XMLSyntaxError as exc:
        raise UnusableInputError(
            f"not well-formed XML: {exc.msg}", hint="fix the XML syntax at the line given", line=exc.lineno
        ) from None


def _iter_xml(
    stream: IO[bytes], report: FileReport, progress: Progress | None, total: int | None, workers: int
) -> None:
    pool: _WorkerPool | None = None
    try:
        for index, element in _xml_records(stream, report, progress, total):
            if report.batch and pool is None and workers > 1:
                pool = _WorkerPool(workers, report)
            if pool is None:
                report.findings.extend(_check_record(element, index))
            else:
                pool.add(element, index)
        if pool is not None:
            pool.finish()  # results are taken in the order the chunks were handed out: record order
            pool = None
    finally:
        if pool is not None:
            pool.abandon()


# --- JSON --------------------------------------------------------------------------------------


def _json_validator(type_name: str) -> Draft202012Validator:
    validator: Draft202012Validator = json_schema_validator(type_name)
    return validator


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """The errors that say what is wrong: for a `oneOf`, those of the alternative that came closest.

    A code set is a `oneOf` of codes, and a model with choice groups a `oneOf` of variants;
    jsonschema reports only "not valid under any of the given schemas" at the top. For a code
    the error stays (its finding lists the codes); for variants, the branch with the fewest
    (deepest-first) errors is the one the sender meant, and its errors are the findings.
    """
    if error.validator != "oneOf" or not error.context:
        return [error]
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    if branches and all(isinstance(b, dict) and "const" in b for b in branches):
        return [error]
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        by_branch.setdefault(int(index), []).append(sub)
    best = min(by_branch.values(), key=lambda errs: (len(errs), -max(len(e.absolute_path) for e in errs)))
    return [leaf for sub in best for leaf in _leaf_errors(sub)]


def _json_message(error: ValidationError) -> str:
    branches = error.validator_value if error.validator == "oneOf" else None
    if isinstance(branches, list) and branches and all(isinstance(b, dict) and "const" in b for b in branches):
        codes = ", ".join(repr(b["const"]) for b in branches[:40])
        return f"{error.instance!r} is not one of the codes {codes}" + (" …" if len(branches) > 40 else "")
    return error.message if len(error.message) < 400 else error.message[:400] + "…"


def _check_json_record(data: Any, index: int | None) -> list[Finding]:
    return _checked_json_record(data, index)[0]


def _checked_json_record(data: Any, index: int | None) -> tuple[list[Finding], Message | None]:
    """Schema, decoding and rules of one JSON message: the findings, and the message when it could be decoded."""
    try:
        cls = message_class_for_data(data)
    except UnusableInputError as exc:
        return [
            Finding(
                "JSON-message-type", Severity.ERROR, exc.message, path="header.messageType", hint=exc.hint, record=index
            )
        ], None
    found = [leaf for err in _json_validator(cls.message_type.value).iter_errors(data) for leaf in _leaf_errors(err)]
    errors = sorted(found, key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        return [
            Finding(
                f"JSON-{'enum' if err.validator == 'oneOf' else err.validator}",
                Severity.ERROR,
                _json_message(err),
                path=format_path(err.absolute_path),
                hint=_JSON_HINTS.get(str(err.validator), "correct the member as the message says"),
                record=index,
            )
            for err in errors
        ], None
    try:
        message = from_json_data(data)
    except DecodeError as exc:
        return [attrs.evolve(f, record=index) for f in exc.findings], None
    return list(run_rules(message, record=index)), message


_JSON_HINTS = {
    "required": "add the missing member",
    "additionalProperties": "remove the member: the standard does not define it here",
    "enum": "use one of the codes listed",
    "pattern": "write the value in the form the pattern gives",
    "format": "write dates as YYYY-MM-DD and timestamps as YYYY-MM-DDThh:mm:ssZ",
    "oneOf": "use one of the codes listed, or give exactly one of the alternatives",
    "type": "give the member the type the schema says",
    "minLength": "the value is too short",
    "maxLength": "shorten the value",
    "minItems": "give at least the number of items required",
    "maxItems": "give no more than the number of items allowed",
}


def _lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes]]:
    """The lines of a JSON Lines stream with their numbers; a line longer than `limit` is refused unread."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            raise UnusableInputError(
                f"line {number} is longer than the limit of {limit} bytes for one message",
                hint="split the message, or validate it on its own",
                line=number,
            )
        yield number, line


def _json_records(
    stream: IO[bytes], report: FileReport, progress: Progress | None, total: int | None
) -> Iterator[tuple[int | None, Any, int | None]]:
    """The messages of a JSON document (one, an array, or JSON Lines) as data, with index and line.

    A JSON Lines line that is not JSON is yielded as its finding (a `Finding` in place of the data).
    """
    first = stream.read(MAX_MESSAGE_BYTES + 1)
    stripped = first.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"[") or (stripped.startswith(b"{") and b"\n{" not in stripped.rstrip()):
        if len(first) > MAX_MESSAGE_BYTES:
            raise UnusableInputError(
                f"the JSON document is larger than {MAX_MESSAGE_BYTES} bytes",
                hint="write large batches as JSON Lines (one message a line); they are streamed",
            )
        data = parse_json(first)
        report.batch = isinstance(data, list)
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield i, item, None
                report.records += 1
        else:
            message_class_for_data(data)  # a document that is not a message is unusable, as from_json says
            yield None, data, None
            report.records += 1
        if progress is not None:
            progress(len(first), total, report.records)
        return
    del first
    report.batch = True
    stream.seek(0)
    done = 0
    for number, line in _lines(stream, MAX_MESSAGE_BYTES):
        done += len(line)
        if not line.strip():
            continue
        try:
            item = parse_json(line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line)
        except HostileInputError:
            raise  # too deep to read safely: the whole file is refused, as an XML batch would be
        except UnusableInputError as exc:
            item = Finding(
                "JSON-syntax",
                Severity.ERROR,
                f"line {number} is not valid JSON: {exc.message}",
                line=number,
                hint="each line of a JSON Lines batch must be one complete message, in strict JSON",
                record=report.records,
            )
        yield report.records, item, number
        report.records += 1
        if progress is not None:
            progress(done, total, report.records)


def _iter_json(stream: IO[bytes], report: FileReport, progress: Progress | None, total: int | None) -> None:
    for index, item, line in _json_records(stream, report, progress, total):
        if isinstance(item, Finding):
            report.findings.append(item)
            continue
        found = _check_json_record(item, index)
        report.findings.extend(found if line is None else (attrs.evolve(f, line=line) for f in found))


# --- entry points --------------------------------------------------------------------------------


def _sniff(head: bytes) -> Literal["xml", "json"]:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text.startswith((b"{", b"[")):
        return "json"
    raise UnusableInputError(
        "the file is neither XML nor JSON", hint="give an XML message or batch, or a JSON message, array or JSON Lines"
    )


#: Below this size a batch is checked in one process: starting workers would cost more than it saves.
PARALLEL_FROM_BYTES = 4 * 1024 * 1024


def _workers_for(requested: int | None, total: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    if total is None or total < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _validate_stream(
    stream: IO[bytes], report: FileReport, progress: Progress | None, total: int | None, workers: int | None = None
) -> FileReport:
    try:
        head = stream.read(4096)
        stream.seek(0)
        report.format = _sniff(head)
        if report.format == "xml":
            _iter_xml(stream, report, progress, total, _workers_for(workers, total))
        else:
            _iter_json(stream, report, progress, total)
    except IcsInteropError as exc:
        report.unusable = str(exc)
    return report


def validate_path(path: str | Path, *, progress: Progress | None = None, workers: int | None = None) -> FileReport:
    """Validate a file of XML or JSON holding one message or a batch, streaming batches.

    An XML batch of 4 MiB or more is decoded and rule-checked in worker processes (one per
    core, at most four) while this process parses and checks the schema; `workers=1` keeps
    it all in this process. The findings are the same either way, in record order.
    """
    path = Path(path)
    report = FileReport(source=str(path))
    try:
        stream = path.open("rb")
    except OSError as exc:
        report.unusable = f"cannot read {path}: {exc.strerror}. To fix: check the path and its permissions"
        return report
    with stream:
        return _validate_stream(stream, report, progress, path.stat().st_size, workers)


def validate_bytes(data: bytes, *, source: str = "<bytes>", workers: int = 1) -> FileReport:
    """Validate a document held in memory.

    In one process unless `workers` says otherwise: services call this from their request
    threads, and starting worker processes from a threaded server is not safe.
    """
    import io

    return _validate_stream(io.BytesIO(data), FileReport(source=source), None, len(data), workers)


@attrs.frozen
class CheckedMessage:
    """One message of a document, checked (schema, decoding, rules), as a receiver needs it.

    `message` is the decoded message whenever it could be decoded, even with rule errors (a
    receiver may accept some of them); `reply_to` is the message ID and sender as far as they
    could be read, to address the acknowledgement of a message that could not be decoded.
    """

    index: int | None
    findings: list[Finding]
    message: Message | None
    reply_to: tuple[str, Any] | None = None

    @property
    def errors(self) -> list[Finding]:
        """The error findings."""
        return [f for f in self.findings if f.severity is Severity.ERROR]


def _decoded_anyway(decode: Callable[[], Message]) -> Message | None:
    try:
        return decode()
    except (IcsInteropError, ValueError):
        return None


def _element_reply_to(element: etree._Element) -> tuple[str, Any] | None:
    from .messages import SystemRef

    header = element.find(_NS + "Header")
    if header is None:
        return None
    message_id = header.findtext(_NS + "MessageId") or ""
    sender = header.find(_NS + "Sender")
    if sender is None:
        return None
    try:
        ref = SystemRef.model_validate(
            {"system": sender.findtext(_NS + "System"), "organisationId": sender.findtext(_NS + "OrganisationId")}
        )
    except ValueError:
        return None
    return message_id.strip(), ref


def _data_reply_to(data: Any) -> tuple[str, Any] | None:
    from .messages import SystemRef

    header = data.get("header") if isinstance(data, dict) else None
    if not isinstance(header, dict):
        return None
    try:
        return str(header.get("messageId", "")), SystemRef.model_validate(header.get("sender"))
    except ValueError:
        return None


def _well_formed(data: bytes) -> None:
    """Read a whole XML document once, building nothing: `UnusableInputError` if it is not well-formed."""
    import io

    try:
        for _, element in etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            tag=_record_tags(),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        ):
            element.clear()
    except etree.XMLSyntaxError as exc:
        raise UnusableInputError(
            f"not well-formed XML: {exc.msg}", hint="fix the XML syntax at the line given", line=exc.lineno
        ) from None


def check_messages(data: bytes, report: FileReport | None = None) -> Iterator[CheckedMessage]:
    """Check each message of a document held in memory (one message, or a batch), handing each out as it is checked.

    Memory stays flat over a batch: each message is handed out and dropped before the next is
    read. A batch is first read whole once to see that it is well-formed, so a broken document
    hands out nothing. `report` (a fresh one if None) is filled in as the document is read: its
    format, whether it is a batch, the records so far. Raises `UnusableInputError` (or
    `HostileInputError`) for a document that cannot be used at all.
    """
    import io

    report = report if report is not None else FileReport(source="<bytes>")
    report.format = _sniff(data[:4096])
    stream = io.BytesIO(data)
    if report.format == "xml":
        records = _xml_records(stream, report, None, len(data))
        first = next(records, None)
        if first is None:
            return
        if report.batch:
            _well_formed(data)
        for index, element in _chain_first(first, records):
            findings, message = _checked_record(element, index)
            reply_to = None
            if message is None:
                message = _decoded_anyway(lambda e=element: element_to_message(e))  # type: ignore[misc]
                reply_to = _element_reply_to(element)
            yield CheckedMessage(index, findings, message, reply_to)
        return
    for index, item, line in _json_records(stream, report, None, len(data)):
        if isinstance(item, Finding):
            yield CheckedMessage(index, [item], None)
            continue
        found, message = _checked_json_record(item, index)
        findings = found if line is None else [attrs.evolve(f, line=line) for f in found]
        reply_to = None
        if message is None:
            message = _decoded_anyway(lambda d=item: from_json_data(d))  # type: ignore[misc]
            reply_to = _data_reply_to(item)
        yield CheckedMessage(index, findings, message, reply_to)


def _chain_first(
    first: tuple[int | None, etree._Element], rest: Iterator[tuple[int | None, etree._Element]]
) -> Iterator[tuple[int | None, etree._Element]]:
    yield first
    yield from rest


def read_messages(path: str | Path) -> tuple[list[Message], bool]:
    """Decode every message of a file, and say whether the file is a batch.

    Raises on the first message that is not valid. The file is read whole (up to the
    single-document limit); use `validate_path` to check large batches in bounded memory.
    """
    return _read_messages(Path(path).read_bytes())


def read_messages_from_bytes(data: bytes) -> list[Message]:
    """Decode every message of a document held in memory (one message or a batch); raises on the first invalid one."""
    return _read_messages(data)[0]


def _read_messages(data: bytes) -> tuple[list[Message], bool]:
    if _sniff(data[:4096]) == "xml":
        from .codecs.safe_xml import parse_xml

        root = parse_xml(data).getroot()
        if root.tag == _NS + BATCH_ELEMENT:
            return [element_to_message(e) for e in root if isinstance(e.tag, str)], True
        return [element_to_message(root)], False
    text = data.removeprefix(b"\xef\xbb\xbf").strip()
    if text.startswith(b"["):
        items = parse_json(text)
        return [from_json_data(item) for item in items], True
    if b"\n{" in text:
        return [from_json_data(parse_json(line)) for line in text.splitlines() if line.strip()], True
    return [from_json(text)], False
