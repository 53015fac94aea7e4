"""The web page for data teams (`ics-interop serve web`): its guard, its checks, its downloads, in a real browser.

The first tests use the page served on 127.0.0.1 with an HTTP client: the key,
the cookie, CSRF, the upload limit, bad and hostile files, each kind of file. The last one
starts the page on 127.0.0.1 and uses it as a data officer would, in headless Chromium driven by
Selenium (Debian's `chromium` and `chromedriver`): it uploads the anchors' CIN sample and a CSV
feed with one bad row, checks the findings shown, filters them, downloads the CSV, the workbook
and the JSON, and saves screenshots (to $ICS_INTEROP_SCREENSHOTS, or the test's temporary
folder). Without Chromium or the anchors (`shared/anchors` beside the checkout) the browser test
is skipped, with the reason; in CI (CI set) it fails instead.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from ics_interop.adapters.formats.csvfeed import template
from ics_interop.adapters.web import FileKind, PageKey, PageSettings, check_file, create_app, page_address, recognise
from ics_interop.adapters.web.downloads import findings_csv, findings_workbook
from openpyxl import load_workbook

from anchors import ANCHORS, needs_anchor
from browser import chrome, needs_browser
from ics_interop.cli import build_parser
from ics_interop.errors import HostileInputError, UnusableInputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ANCHORS / "liia-tools" / "cin_census" / "samples" / "cin-2022.xml"
EXAMPLES = ROOT / "schemas" / "v1" / "examples"


def feed_with_one_bad_row() -> bytes:
    """The children layout's example row, and a second child whose date of birth is 31 February."""
    lines = template("children", example=True).splitlines()
    bad = lines[1].replace("YS-0031544", "YS-0031545").replace("14/06/2016", "31/02/2016")
    bad = bad.replace("999 100 0127", "").replace("Q206205119014", "")
    return ("\n".join([*lines, bad]) + "\n").encode("utf-8")


def census_return() -> bytes:
    if SAMPLE.exists():
        return SAMPLE.read_bytes()
    from ics_interop.adapters.formats.cin import write_return

    from test_cin_rules import clean

    return write_return(clean(2024), 2024)


# --- the guard -------------------------------------------------------------------------------------


@pytest.fixture
def settings() -> PageSettings:
    return PageSettings(key=PageKey(), limit=2 * 1024 * 1024)


@pytest.fixture
def client(settings: PageSettings) -> Iterator[httpx.Client]:
    """A client of the page served on 127.0.0.1, as a browser reaches it."""
    with _serving(settings) as address, httpx.Client(base_url=address.split("/?", 1)[0], timeout=60) as http:
        yield http


def _open(client: httpx.Client, settings: PageSettings) -> str:
    """Open the page with its key, as the printed address does; the form's CSRF token."""
    answer = client.get(f"/?token={settings.key.key}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert settings.key.key not in cookie  # the cookie holds a value derived from the key, not the key
    page = client.get("/")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found
    return found.group(1)


def _check(client: httpx.Client, csrf: str, name: str, data: bytes, **fields: str) -> Any:
    return client.post(
        "/check", data={"csrf": csrf, **fields}, files={"file": (name, data, "application/octet-stream")}
    )


@pytest.mark.parametrize("path", ["/", "/static/page.css", "/static/page.js", "/nothing-here"])
def test_every_request_without_the_cookie_gets_401(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert "This page needs its key" in answer.text
    assert client.get(f"{path}?token=wrong", follow_redirects=False).status_code == 401
    assert client.post("/check", files={"file": ("a.xml", b"<a/>")}).status_code == 401


def test_the_key_opens_the_page_and_every_page_is_guarded(client: httpx.Client, settings: PageSettings) -> None:
    _open(client, settings)
    answer = client.get("/static/page.css")
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["cache-control"] == "no-store"
    page = client.get("/").text
    assert "works offline" in page
    assert "not stored or sent anywhere" in page
    assert "The largest file the page takes is 2 MB" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from the internet


def test_the_address_printed_carries_the_key() -> None:
    key = PageKey()
    assert page_address("127.0.0.1", 8000, key) == f"http://127.0.0.1:8000/?token={key.key}"
    assert len(key.key) >= 40
    assert PageKey().key != key.key  # a new key each launch
    args = build_parser().parse_args(["serve", "web"])
    assert (args.system, args.host) == ("web", "127.0.0.1")


def test_the_upload_needs_the_forms_csrf_token(client: httpx.Client, settings: PageSettings) -> None:
    _open(client, settings)
    answer = _check(client, "0" * 64, "return.xml", census_return())
    assert answer.status_code == 403
    assert "The form had expired or came from elsewhere" in answer.text
    foreign = client.post(
        "/check",
        data={"csrf": settings.key.csrf},
        files={"file": ("a.xml", b"<a/>")},
        headers={"origin": "https://evil.example"},
    )
    assert foreign.status_code == 403


def test_a_file_over_the_limit_is_refused_with_the_limit(client: httpx.Client, settings: PageSettings) -> None:
    csrf = _open(client, settings)
    answer = _check(client, csrf, "big.xml", b"<Message>" + b" " * (3 * 1024 * 1024) + b"</Message>")
    assert answer.status_code == 413
    assert "the file is larger than the page's limit of 2 MB" in html.unescape(answer.text)
    assert 'role="alert"' in answer.text  # the error summary


def test_no_file_chosen_says_so(client: httpx.Client, settings: PageSettings) -> None:
    csrf = _open(client, settings)
    answer = client.post("/check", data={"csrf": csrf}, files={"file": ("", b"")})
    assert answer.status_code == 400
    assert "Choose a file to check." in answer.text


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Message>&x;</Message>',
            "DTDs and entities are refused",
        ),
        (b"<Message><Children>", "not well-formed"),
        (b"PK\x03\x04rest of a workbook", "an Excel workbook"),
        (b"%PDF-1.7", "a PDF document"),
        (b"name,age\nAmira,7\n", "names no column of the feed layouts"),
        (b'<Other xmlns="urn:x"/>', "neither a census return"),
        (b"{ not json", "not valid JSON"),
        (b"<Message><Header/></Message>", "gives no ReferenceDate or Year"),
        (b"\xff\xfe<\x00M\x00", "UTF-16"),
    ],
)
def test_bad_and_hostile_files_get_a_clear_message(
    client: httpx.Client, settings: PageSettings, data: bytes, said: str
) -> None:
    csrf = _open(client, settings)
    answer = _check(client, csrf, "file.xml", data)
    assert answer.status_code == 200
    assert "This file cannot be checked" in answer.text
    assert said in html.unescape(answer.text)
    assert "Traceback" not in answer.text


def test_the_kind_is_recognised_from_the_content() -> None:
    assert recognise(census_return()).kind is FileKind.CENSUS
    feed = recognise(feed_with_one_bad_row())
    assert (feed.kind, feed.feed and feed.feed.value) == (FileKind.FEED, "children")
    assert recognise(template("involvements").encode()).feed is not None
    assert recognise((EXAMPLES / "ChildIdentityUpdate.xml").read_bytes()).kind is FileKind.MESSAGES
    assert recognise((EXAMPLES / "ChildIdentityUpdate.json").read_bytes()).kind is FileKind.MESSAGES
    with pytest.raises(HostileInputError):
        recognise(b'<!DOCTYPE x [<!ENTITY a "b">]><Message/>')
    with pytest.raises(UnusableInputError, match="empty"):
        recognise(b"  \n")


def test_a_census_return_is_checked_for_its_headers_year_and_grouped_by_child(
    client: httpx.Client, settings: PageSettings
) -> None:
    csrf = _open(client, settings)
    page = _check(client, csrf, "cin.xml", census_return()).text
    assert "Children in Need census return" in page
    if SAMPLE.exists():
        assert "the 2022 collection (from the header&#39;s ReferenceDate 2022-03-31)" in page
        assert 'id="count-errors">16<' in page
        assert 'id="count-warnings">4<' in page
        assert "Child DfEX0000001" in page
        assert "The whole return" in page
        assert 'data-rule="1510" data-severity="error"' in page
        assert "A123456789123" in page  # the value
        assert "correct the UPN as the school records it" in page  # the rule's own fix
        assert 'id="summary"' in page  # the summary by rule
        assert re.search(r'<th scope="row" class="app-table__header">8715</th>.*?>2<', page, re.S)


def test_a_feed_with_one_bad_row_shows_that_row(client: httpx.Client, settings: PageSettings) -> None:
    csrf = _open(client, settings)
    page = _check(client, csrf, "children.csv", feed_with_one_bad_row(), organisation="LA-206").text
    assert "spreadsheet feed (children layout)" in page
    assert "as sent by LA-206 (checked only: nothing is sent)" in page
    assert "Row 3" in page
    assert "Row 2" not in page
    assert "date_of_birth" in page
    assert "31/02/2016" in page
    assert 'id="count-groups">1<' in page


def test_the_organisation_is_checked_before_the_file(client: httpx.Client, settings: PageSettings) -> None:
    csrf = _open(client, settings)
    answer = _check(client, csrf, "children.csv", feed_with_one_bad_row(), organisation="<script>")
    assert answer.status_code == 400
    assert "<script>" not in answer.text  # escaped where it is shown
    assert "&lt;script&gt;" in answer.text


def test_messages_are_checked_with_the_standards_validator(client: httpx.Client, settings: PageSettings) -> None:
    csrf = _open(client, settings)
    good = _check(client, csrf, "message.json", (EXAMPLES / "ChildIdentityUpdate.json").read_bytes()).text
    assert "messages of the standard" in good
    assert "No findings" in good
    data = json.loads((EXAMPLES / "ChildIdentityUpdate.json").read_bytes())
    data["child"]["identifiers"]["nhsNumber"] = "9991000128"  # a wrong check digit
    lines = (
        json.dumps(data) + "\n" + (EXAMPLES / "ChildIdentityUpdate.json").read_text().replace("\n", "") + "\n"
    ).encode()
    bad = _check(client, csrf, "messages.jsonl", lines).text
    assert "Message 1" in bad
    assert "Message 2" not in bad
    assert 'id="count-errors">' in bad


def test_the_downloads_hold_every_finding() -> None:
    checked = check_file("children.csv", feed_with_one_bad_row())
    assert checked.errors >= 1
    text = findings_csv(checked).decode("utf-8-sig")
    header, *rows = list(__import__("csv").reader(io.StringIO(text)))
    assert header == ["Row", "Rule", "Severity", "Column", "Value", "Line", "Message", "Fix"]
    assert rows[0][0] == "3"
    book = load_workbook(io.BytesIO(findings_workbook(checked)), read_only=True)
    assert book.sheetnames == ["Findings", "Summary by rule", "About"]
    cells = [[c.value for c in row] for row in book["Findings"].iter_rows()]
    assert cells[0] == header
    assert cells[1][0] == "3"
    assert checked.cli_json["leftOut"] == [3]  # what `csv import --report json` prints


def test_a_value_a_spreadsheet_would_run_is_written_as_text() -> None:
    data = feed_with_one_bad_row().replace(b"31/02/2016", b"=HYPERLINK(1)")
    checked = check_file("children.csv", data)
    text = findings_csv(checked).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    assert ",=HYPERLINK" not in text


def test_a_census_return_reports_progress_child_by_child() -> None:
    steps: list[tuple[int, int]] = []
    checked = check_file("cin.xml", census_return(), progress=lambda done, total: steps.append((done, total)))
    assert checked.unusable is None
    assert steps[-1] == (checked.items, checked.items)


def _large_return(children: int) -> bytes:
    import attrs
    from ics_interop.adapters.formats.cin import write_return

    from test_cin_rules import clean

    base = clean(2024)
    one = base.children[0]
    many = tuple(attrs.evolve(one, la_child_id=f"C{i}", upn=None, upn_unknown="UN2") for i in range(children))
    return write_return(attrs.evolve(base, children=many), 2024)


def test_a_large_return_shows_its_progress_and_the_page_stays_responsive(monkeypatch: pytest.MonkeyPatch) -> None:
    from ics_interop.adapters.web import app as page_app

    monkeypatch.setattr(page_app, "PROGRESS_EVERY", 0.05)
    settings = PageSettings()  # the page's own limit: 64 MB
    with _serving(settings) as address, httpx.Client(base_url=address.split("/?", 1)[0], timeout=120) as client:
        _responsive_while_checking(client, settings)


def _responsive_while_checking(client: httpx.Client, settings: PageSettings) -> None:
    csrf = _open(client, settings)
    data = _large_return(8000)
    running = threading.Event()
    finished = threading.Event()
    pieces: list[str] = []

    def post() -> None:
        files = {"file": ("large.xml", data, "application/xml")}
        with client.stream("POST", "/check", data={"csrf": csrf}, files=files) as answer:
            for text in answer.iter_text():
                pieces.append(text)
                if "Checked " in text:
                    running.set()
        finished.set()
        running.set()

    worker = threading.Thread(target=post)
    worker.start()
    try:
        assert running.wait(60)
        assert not finished.is_set(), "".join(pieces)[-2000:]
        started = time.monotonic()
        assert client.get("/").status_code == 200  # answered while the return is being checked
        answered_in = time.monotonic() - started
        assert not finished.is_set() or answered_in < 1.0
    finally:
        worker.join(120)
    page = "".join(pieces)
    steps = re.findall(r"Checked ([\d,]+) of 8,000 children", page)
    assert len(steps) >= 2
    assert steps[-1] == "8,000"
    assert 'id="count-groups">0<' in page  # every child is the clean one
    assert "No findings" in page


# --- in a real browser ------------------------------------------------------------------------------


@contextlib.contextmanager
def _serving(settings: PageSettings) -> Iterator[str]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the page did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield page_address("127.0.0.1", port, settings.key)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _shoot(driver: Any, folder: Path, name: str) -> Path:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 6000))
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, f"{path} is too small to show the page"
    print(f"screenshot: {path}")
    driver.set_window_size(1280, 1000)
    return path


def _downloaded(folder: Path, name: str) -> Path:
    path = folder / name
    deadline = time.monotonic() + 20
    while not path.exists() or any(folder.glob("*.crdownload")):
        assert time.monotonic() < deadline, f"{name} was not downloaded: {sorted(folder.iterdir())}"
        time.sleep(0.1)
    return path


def _upload(driver: Any, base: str, path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base)
    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 60).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#about, #unusable"))
    )
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_a_data_officer_checks_files_in_a_browser(tmp_path: Path) -> None:
    needs_browser()
    needs_anchor(SAMPLE)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    shots = Path(os.environ.get("ICS_INTEROP_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    feed = tmp_path / "children.csv"
    feed.write_bytes(feed_with_one_bad_row())
    settings = PageSettings()
    with _serving(settings) as address:
        base = address.split("?", 1)[0]
        driver = chrome(tmp_path / "profile", downloads=downloads)
        try:
            # Without the key: refused.
            driver.get(base)
            assert "This page needs its key" in driver.page_source
            # With it: the form, and the key leaves the address.
            driver.get(address)
            assert driver.current_url == base
            assert driver.find_element(By.TAG_NAME, "h1").text == "Check a file"
            label = driver.find_element(By.CSS_SELECTOR, "label[for=file]")
            assert label.text == "Choose the file"
            assert "The largest file the page takes is 64 MB" in driver.page_source
            _shoot(driver, shots, "1-form")

            # The CIN sample: 16 errors and 4 queries for 2022, by child then rule.
            _upload(driver, base, SAMPLE)
            assert driver.find_element(By.ID, "kind").text == "Children in Need census return"
            assert driver.find_element(By.ID, "count-errors").text == "16"
            assert driver.find_element(By.ID, "count-warnings").text == "4"
            titles = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#findings h3")]
            assert titles == ["Child DfEX0000001", "The whole return"]
            rows = driver.find_elements(By.CSS_SELECTOR, "#findings tr[data-rule]")
            assert len(rows) == 20
            first = rows[0].find_elements(By.CSS_SELECTOR, "th, td")
            assert [c.text for c in first[:4]] == ["1510", "error", "ChildIdentifiers.UPN (line 21)", "A123456789123"]
            assert "correct the UPN as the school records it" in first[5].text
            summary = driver.find_elements(By.CSS_SELECTOR, "#summary tbody tr")
            assert summary[0].find_element(By.CSS_SELECTOR, "th").text in ("8565", "8715")
            _shoot(driver, shots, "2-census-findings")

            # Filters: queries only, then one rule.
            Select(driver.find_element(By.ID, "filter-severity")).select_by_value("query")
            visible = [r for r in rows if r.is_displayed()]
            assert len(visible) == 4
            assert driver.find_element(By.ID, "filter-status").text == "Showing 4 of 20 findings."
            Select(driver.find_element(By.ID, "filter-severity")).select_by_value("")
            Select(driver.find_element(By.ID, "filter-rule")).select_by_value("8715")
            assert [r.get_attribute("data-rule") for r in rows if r.is_displayed()] == ["8715", "8715"]
            assert not driver.find_elements(By.XPATH, "//h3[text()='The whole return']")[0].is_displayed()
            _shoot(driver, shots, "3-census-filtered")

            # The downloads.
            for link in driver.find_elements(By.CSS_SELECTOR, "#downloads a"):
                link.click()
            table = _downloaded(downloads, "cin-2022-findings.csv").read_text("utf-8-sig")
            assert table.startswith("LAchildID,Rule,Severity,Element,Value,Line,Message,Fix")
            assert table.count("\n") == 21
            assert "DfEX0000001,1510,error,ChildIdentifiers.UPN,A123456789123,21," in table
            book = load_workbook(_downloaded(downloads, "cin-2022-findings.xlsx"), read_only=True)
            summary_sheet = [[c.value for c in row] for row in book["Summary by rule"].iter_rows()]
            assert summary_sheet[0] == ["Rule", "Severity", "Findings", "Children", "Message"]
            assert summary_sheet[1][:4] == ["8715", "error", 2, 1] or summary_sheet[1][:4] == ["8565", "error", 2, 1]
            report = json.loads(_downloaded(downloads, "cin-2022-findings.json").read_text())
            assert (report["year"], report["errors"], report["queries"]) == (2022, 16, 4)
            assert report["findings"][0]["laChildId"] == "DfEX0000001"

            # A spreadsheet feed with one bad row: that row, its column, its value and the fix.
            _upload(driver, base, feed)
            assert driver.find_element(By.ID, "kind").text == "spreadsheet feed (children layout)"
            assert driver.find_element(By.ID, "count-groups").text == "1"
            assert [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#findings h3")] == ["Row 3"]
            cells = driver.find_elements(By.CSS_SELECTOR, "#findings tr[data-rule] th, #findings tr[data-rule] td")
            texts = [c.text for c in cells]
            assert texts[:4] == ["CSV-VALUE", "error", "date_of_birth", "31/02/2016"]
            _shoot(driver, shots, "4-feed-findings")
            driver.find_element(By.CSS_SELECTOR, "#downloads a[data-download=CSV]").click()
            rows_csv = _downloaded(downloads, "children-findings.csv").read_text("utf-8-sig")
            assert "\n3,CSV-VALUE,error,date_of_birth,31/02/2016,3," in rows_csv

            # A hostile file: a clear message on the page.
            hostile = tmp_path / "hostile.xml"
            hostile.write_bytes(
                b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>'
            )
            _upload(driver, base, hostile)
            assert "DTDs and entities are refused" in driver.find_element(By.ID, "unusable").text
            _shoot(driver, shots, "5-hostile-file")
        finally:
            driver.quit()
