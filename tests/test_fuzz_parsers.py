"""A short fuzz of every parser in the test run: random bytes and mutated examples, judged by `judge_input`.

`judge_input` fails on any exception that is not the library's own and on any disagreement
between the validator and a decoder. The long campaign is coverage-guided, with atheris:
`python benchmarks/fuzz_parsers.py --runs 1000000`.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics_interop.examples import example_files
from ics_interop.testing.hostile import hostile_cases, judge_input

SEEDS = sorted(example_files().values()) + [c.data for c in hostile_cases() if len(c.data) < 20_000]
TOKENS = [
    b"<",
    b">",
    b"</",
    b"/>",
    b"<!DOCTYPE x>",
    b"&#13;",
    b"&amp;",
    b'"',
    b"\\u",
    b"\\ud800",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"1",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b" ",
    b"\n",
    b"T",
    b"Z",
    b"-",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "token"]))
        if kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "replace":
            data[at : at + 1] = draw(st.binary(min_size=1, max_size=1))
        else:
            data[at:at] = draw(st.sampled_from(TOKENS))
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    assert judge_input(data) in ("unusable", "invalid", "valid")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_messages_are_judged_alike_by_the_validator_and_the_decoders(data: bytes) -> None:
    judge_input(data)
