"""The services' documentation pages (`/docs`, `/redoc`) work on a network that reaches only the service.

They load Swagger UI and ReDoc from the service itself, need no token, and name nothing
elsewhere; in a browser that can reach nothing but 127.0.0.1, Swagger UI lists the operations.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ics_interop.adapters.http import create_app, running_server
from ics_interop.adapters.http.docs_pages import ASSETS

from browser import chrome, needs_browser
from callers import ISSUER
from ics_interop import MessageType


def _service() -> FastAPI:
    def refuse(body: bytes, content_type: str, client: object) -> tuple[bytes, str, int]:
        raise AssertionError("the documentation tests deliver nothing")

    return create_app(
        "A reference service",
        "For the documentation pages' tests.",
        receive=refuse,
        message_types=[MessageType.CHILD_IDENTITY_UPDATE],
        authenticate=ISSUER.verifier("https://docs.test").authenticate,
    )


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_load_their_scripts_from_the_service_without_a_token(page: str) -> None:
    client = TestClient(_service())
    answer = client.get(page)
    assert answer.status_code == 200
    html = answer.text
    addresses = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(r"url: ?'([^']+)'", html)
    assert addresses, html
    # Every address the page loads is the service's own: no CDN, no web fonts.
    assert [a for a in addresses if "://" in a or a.startswith("//")] == []
    assert "fonts.googleapis" not in html
    assert "cdn" not in html.lower()
    for address in addresses:
        if address.startswith("/docs/assets/"):
            asset = client.get(address)
            assert asset.status_code == 200, address
            assert asset.headers["content-type"].startswith(ASSETS[address.rsplit("/", 1)[1]])
            assert len(asset.content) > 1000, address
    # The data stays behind the token.
    assert client.post("/messages", content=b"<x/>", headers={"Content-Type": "application/xml"}).status_code == 401
    # Only the pages' own assets are open: no other file of the folder they come from.
    assert client.get("/docs/assets/core.py").status_code == 401


def test_swagger_ui_lists_the_operations_with_the_network_off(tmp_path: Path) -> None:
    needs_browser()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with running_server(_service()) as base:
        assert httpx.get(f"{base}/docs/assets/swagger-ui-bundle.js").status_code == 200
        driver = chrome(tmp_path / "profile", offline=True)
        try:
            driver.get(f"{base}/docs")
            WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
            paths = {
                e.text.replace("\u200b", "") for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
            }
            assert {"/messages", "/health"} <= paths
            driver.get(f"{base}/redoc")
            WebDriverWait(driver, 30).until(lambda d: "/messages" in d.find_element(By.TAG_NAME, "body").text)
        finally:
            driver.quit()
