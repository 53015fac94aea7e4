"""Headless Chromium for the browser tests, driven by Selenium through Debian's chromedriver.

`offline=True` gives a browser that reaches 127.0.0.1 and nothing else: every other host name
fails to resolve at once, so a page that needs the network (a CDN script, a web font) shows it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def needs_browser() -> None:
    """Skip where Chromium is missing, except in CI (CI set), where the browser tests must run."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    fix = "apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {fix}")
    pytest.skip(f"no /usr/bin/chromium and chromedriver: {fix}")


def chrome(profile: Path, *, downloads: Path | None = None, offline: bool = False) -> Any:
    """A headless Chromium with its own profile folder (the caller quits it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    arguments = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
    ]
    if offline:
        arguments += ["--disable-quic", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
    for argument in arguments:
        options.add_argument(argument)
    if downloads is not None:
        options.add_experimental_option(
            "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
        )
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
