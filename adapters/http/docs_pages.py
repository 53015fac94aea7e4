"""The services' own documentation pages (`/docs`, `/redoc`), served with their scripts: nothing from a CDN.

FastAPI's pages load Swagger UI and ReDoc from a public CDN, so on a network that reaches only
the service (a council's, an accreditation lab's) they are blank. Here the same pages load the
same scripts from the service itself, from the pinned copies the `fastapi-offline` package ships
(`/docs/assets/...`), and ReDoc without Google's web fonts. The pages and their assets need no
token: they describe the binding, they do not reach any data.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

__all__ = ["ASSETS", "DOCS_PATHS", "add_documentation_pages"]

#: The files the pages load, by the name they are served under, with their media types.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
#: Every path the pages add: the guard lets them through without a token.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", *(f"/docs/assets/{name}" for name in ASSETS)})


def _assets_folder() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def add_documentation_pages(app: FastAPI) -> None:
    """Add `/docs` (Swagger UI), `/redoc` and the assets they load; `app` was made with docs_url=None."""
    folder = _assets_folder()

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", ""))

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        return get_swagger_ui_html(
            openapi_url=f"{base}/openapi.json",
            title=f"{app.title}: the HTTP binding",
            oauth2_redirect_url=f"{base}/docs/oauth2-redirect",
            swagger_js_url=f"{base}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{base}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{base}/docs/assets/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        return get_redoc_html(
            openapi_url=f"{base}/openapi.json",
            title=f"{app.title}: the HTTP binding",
            redoc_js_url=f"{base}/docs/assets/redoc.standalone.js",
            redoc_favicon_url=f"{base}/docs/assets/favicon.png",
            with_google_fonts=False,
        )

    for name, media_type in ASSETS.items():
        path = folder / name

        def asset(path: Path = path, media_type: str = media_type) -> FileResponse:
            return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

        app.add_api_route(f"/docs/assets/{name}", asset, methods=["GET"], include_in_schema=False)
