"""The run's reports: JSON (versioned, with its own JSON Schema), JUnit XML, one self-contained HTML page,
and the evidence bundle that holds them all.

- `report.json` follows `report.schema.json` (shipped beside this module); `reportVersion`
  changes its major number only when a reader would have to change.
- `report.xml` is JUnit: a test case per check, with each requirement it verifies as a
  `requirement` property (so CI systems show the IDs), and a test case per attestation and
  not-applicable requirement, as skipped with the reason.
- `report.html` needs nothing but itself (inline style, no script), for a tester to send by e-mail.
- `evidence.zip` holds the suite and spec versions, the system tested (name, version, vendor,
  URL), the tester, the date, the target's description with secrets redacted, the environment,
  the seeds, every report, the messages the system sent, and `SHA256SUMS` of everything in it;
  signed by the tester's key (`SHA256SUMS.jws`, see `signing`) when one is given.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from ics_interop import SCHEMA_VERSION, __version__

from .outcomes import RunResult, State
from .signing import SIGNATURE_FILE, SUMS_FILE, sign_sums

__all__ = [
    "REPORT_VERSION",
    "evidence_bundle",
    "html_report",
    "json_report",
    "junit_report",
    "report_schema",
    "write_reports",
]

#: The version of the JSON report's form (1.1: the system under test and the tester).
REPORT_VERSION = "1.1"

_STATE_COLOURS = {
    State.PASS: "#1b7a3a",
    State.FAIL: "#b3261e",
    State.WARNING: "#a15c00",
    State.SKIPPED: "#5f6368",
    State.NOT_APPLICABLE: "#5f6368",
    State.ATTESTATION: "#3b4fb8",
}


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema of `report.json`."""
    text = resources.files("ics_interop.conformance").joinpath("report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def json_report(result: RunResult) -> dict[str, Any]:
    """The run as the JSON report (see `report_schema`)."""
    return {
        "reportVersion": REPORT_VERSION,
        "suite": {"name": "ics-interop conformance suite", "version": __version__},
        "spec": {"name": "ics-interop", "schemaVersion": SCHEMA_VERSION},
        "profile": result.profile,
        "systemUnderTest": result.system_under_test,
        "tester": result.tester,
        "target": result.target,
        "seed": result.seed,
        "command": result.command,
        "startedAt": result.started_at,
        "finishedAt": result.finished_at,
        "durationSeconds": round(result.duration, 3),
        "passed": result.passed,
        "summary": result.counts(),
        "environment": result.environment,
        "requirements": [r.to_dict() for r in result.requirements],
    }


# --- JUnit -------------------------------------------------------------------------------------------


def junit_report(result: RunResult) -> bytes:
    """The run as JUnit XML: a test case per check (requirement IDs as properties), and per manual requirement."""
    by_check: dict[str, list[tuple[str, Any]]] = {}
    for requirement in result.requirements:
        for outcome in requirement.outcomes:
            by_check.setdefault(outcome.check_id, []).append((requirement.requirement_id, outcome))
    cases: list[etree._Element] = []
    failures = skipped = 0
    for check_id, pairs in by_check.items():
        case = etree.Element("testcase", classname=f"conformance.{result.profile}", name=check_id)
        case.set("time", f"{max(o.duration for _, o in pairs):.3f}")
        properties = etree.SubElement(case, "properties")
        for requirement_id, _ in pairs:
            etree.SubElement(properties, "property", name="requirement", value=requirement_id)
        etree.SubElement(properties, "property", name="seed", value=str(pairs[0][1].seed))
        failed = [(r, o) for r, o in pairs if o.state is State.FAIL]
        warned = [(r, o) for r, o in pairs if o.state is State.WARNING]
        if failed:
            failures += 1
            text = "\n".join(f"{r}: {o.message}\nreplay: {o.replay}" for r, o in failed)
            node = etree.SubElement(case, "failure", message=failed[0][1].message[:500], type="requirement")
            node.text = text
        elif all(o.state is State.SKIPPED for _, o in pairs):
            skipped += 1
            etree.SubElement(case, "skipped", message=pairs[0][1].message[:500])
        if warned:
            out = etree.SubElement(case, "system-out")
            out.text = "\n".join(f"WARNING {r}: {o.message}" for r, o in warned)
        cases.append(case)
    for requirement in result.requirements:
        if requirement.state in (State.ATTESTATION, State.NOT_APPLICABLE) or (
            requirement.state is not State.PASS and not requirement.outcomes
        ):
            case = etree.Element(
                "testcase",
                classname=f"conformance.{result.profile}",
                name=f"{requirement.requirement_id} ({requirement.state.value})",
            )
            properties = etree.SubElement(case, "properties")
            etree.SubElement(properties, "property", name="requirement", value=requirement.requirement_id)
            if requirement.state is State.FAIL:
                failures += 1
                etree.SubElement(case, "failure", message=requirement.reason[:500], type="requirement")
            else:
                skipped += 1
                etree.SubElement(case, "skipped", message=f"{requirement.state.value}: {requirement.reason}"[:1000])
            cases.append(case)
    suite = etree.Element(
        "testsuite",
        name=f"ics-interop conformance: {result.profile}",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{result.duration:.3f}",
        timestamp=result.started_at,
    )
    properties = etree.SubElement(suite, "properties")
    for name, value in (
        ("profile", result.profile),
        ("seed", str(result.seed)),
        ("suiteVersion", __version__),
        ("specVersion", SCHEMA_VERSION),
    ):
        etree.SubElement(properties, "property", name=name, value=value)
    suite.extend(cases)
    root = etree.Element("testsuites")
    root.append(suite)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# --- HTML --------------------------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:72em;
 color:#202124;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #dadce0;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f1f3f4}
.state{font-weight:600;color:#fff;border-radius:3px;padding:.1em .45em;white-space:nowrap;font-size:.85em}
.meta td{border:none;padding:.1em .8em .1em 0}.summary span{margin-right:1.2em}
details{margin:.2em 0}summary{cursor:pointer}
pre{white-space:pre-wrap;background:#f8f9fa;padding:.5em;font-size:.85em;overflow:auto;max-height:24em}
code{font-size:.9em}.muted{color:#5f6368}td:first-child{white-space:nowrap}
"""


def _badge(state: State) -> str:
    return f'<span class="state" style="background:{_STATE_COLOURS[state]}">{html.escape(state.value)}</span>'


def html_report(result: RunResult) -> str:
    """The run as one self-contained HTML page (no script, no external resource)."""
    e = html.escape
    counts = result.counts()
    verdict = "PASSED: nothing failed" if result.passed else f"FAILED: {len(result.failed_ids())} requirement(s) failed"
    rows = []
    for r in result.requirements:
        details = []
        for o in r.outcomes:
            extra = f"<br><span class='muted'>replay:</span> <code>{e(o.replay)}</code>" if o.replay else ""
            evidence = "".join(f"<pre>{e(text)}</pre>" for text in o.evidence)
            details.append(
                f"<details><summary>{_badge(o.state)} <code>{e(o.check_id)}</code> {e(o.title)} "
                f"<span class='muted'>(seed {o.seed}, {o.duration:.2f}s)</span></summary>"
                f"{e(o.message)}{extra}{evidence}</details>"
            )
        reason = f"<div class='muted'>{e(r.reason)}</div>" if r.reason else ""
        rows.append(
            f"<tr id='{e(r.requirement_id)}'><td><b>{e(r.requirement_id)}</b>"
            f"<br><span class='muted'>{e(r.level)}</span></td>"
            f"<td>{_badge(r.state)}</td><td><b>{e(r.title)}.</b> {e(r.text)}{reason}{''.join(details)}</td></tr>"
        )
    env = result.environment
    sut = result.system_under_test
    stated = [sut.get("name", ""), sut.get("version", "")]
    system = " ".join(v for v in stated if v) or "(not stated)"
    if sut.get("vendor"):
        system += f", by {sut['vendor']}"
    tester = result.tester.get("name") or "(not stated)"
    if result.tester.get("organisation"):
        tester += f", {result.tester['organisation']}"
    meta = [
        ("System under test", system),
        ("Tester", tester),
        ("Profile", result.profile),
        ("Target", f"{result.target.get('kind')}: {result.target.get('target')}"),
        (
            "Suite",
            f"ics-interop {env.get('suiteVersion', __version__)}, standard v{env.get('specVersion', SCHEMA_VERSION)}",
        ),
        ("Seed", str(result.seed)),
        ("Run", f"{result.started_at} to {result.finished_at} ({result.duration:.1f} s)"),
        ("Environment", f"Python {env.get('python', '')} on {env.get('platform', '')}"),
    ]
    summary = "".join(f"<span>{_badge(State(k))} {v}</span>" for k, v in counts.items())
    attention = [r for r in result.requirements if r.state in (State.FAIL, State.WARNING)]
    if attention:
        summary += (
            "<ul>"
            + "".join(
                f"<li>{_badge(r.state)} <a href='#{e(r.requirement_id)}'>{e(r.requirement_id)}</a> {e(r.title)}: "
                f"{e(r.reason)}</li>"
                for r in attention
            )
            + "</ul>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Conformance report: {e(result.profile)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>ics-interop conformance report: {e(result.profile)}</h1><p><b>{e(verdict)}</b></p>"
        "<table class='meta'>"
        + "".join(f"<tr><td class='muted'>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in meta)
        + "</table>"
        f"<h2>Summary</h2><p class='summary'>{summary}</p>"
        "<h2>Requirements</h2><table>"
        "<tr><th>ID</th><th>State</th><th>Requirement, and the checks that verify it</th></tr>"
        + "".join(rows)
        + "</table><p class='muted'>Attestation: a tester inspects by hand what the requirement says. "
        "Not applicable: declared by the profile, with the reason. Skipped: the check could not run on this kind "
        "of target, with the reason.</p></body></html>"
    )


# --- the evidence bundle -------------------------------------------------------------------------------


def _manifest(result: RunResult) -> dict[str, Any]:
    outcomes = [o for r in result.requirements for o in r.outcomes]
    return {
        "bundleVersion": REPORT_VERSION,
        "suite": {"name": "ics-interop conformance suite", "version": __version__},
        "spec": {"name": "ics-interop", "schemaVersion": SCHEMA_VERSION},
        "profile": result.profile,
        "systemUnderTest": result.system_under_test,
        "tester": result.tester,
        "testedOn": result.started_at[:10],
        "startedAt": result.started_at,
        "finishedAt": result.finished_at,
        "target": result.target,
        "environment": result.environment,
        "command": result.command,
        "seed": result.seed,
        "checkSeeds": {o.check_id: o.seed for o in outcomes},
        "passed": result.passed,
        "summary": result.counts(),
    }


def evidence_bundle(result: RunResult, reports: Mapping[str, bytes], sign_key: Any = None) -> bytes:
    """One zip: the manifest, every report, the messages the system sent, and `SHA256SUMS` over all of it.

    With `sign_key` (the tester's private key) `SHA256SUMS.jws` signs the sums: see `signing`.
    """
    files: dict[str, bytes] = {"manifest.json": json.dumps(_manifest(result), indent=2).encode("utf-8")}
    files.update({f"reports/{name}": data for name, data in reports.items()})
    files.update({f"messages/{name}": body for name, body in result.captured})
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))
    files[SUMS_FILE] = sums.encode("utf-8")
    if sign_key is not None:
        files[SIGNATURE_FILE] = sign_sums(files[SUMS_FILE], sign_key).encode("ascii")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))  # reproducible: no clock in the zip
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return buffer.getvalue()


def write_reports(result: RunResult, folder: str | Path, *, sign_key: Any = None) -> dict[str, Path]:
    """Write report.json, report.xml, report.html and evidence.zip (signed with `sign_key`) into `folder`."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    reports = {
        "report.json": json.dumps(json_report(result), indent=2, ensure_ascii=False).encode("utf-8"),
        "report.xml": junit_report(result),
        "report.html": html_report(result).encode("utf-8"),
    }
    paths = {}
    for name, data in reports.items():
        (out / name).write_bytes(data)
        paths[name] = out / name
    (out / "evidence.zip").write_bytes(evidence_bundle(result, reports, sign_key))
    paths["evidence.zip"] = out / "evidence.zip"
    return paths
