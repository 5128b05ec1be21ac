"""The /docs page: Swagger UI served from the installed ``swagger-ui-bundle-v2`` wheel.

FastAPI's default pages load Swagger UI and ReDoc from a CDN; an integrator's
network (or an air-gapped staging host) may not reach it, and a page that pulls
scripts from a third party is one more thing to trust. The wheel ships the same
Swagger UI 5 files; they are mounted under ``/docs/static`` and the page names
only those. ReDoc has no such package here, so ``/redoc`` is not served.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
STATIC_URL = f"{DOCS_URL}/static"
OAUTH2_REDIRECT_URL = f"{DOCS_URL}/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` with its assets from the package, outside the schema."""
    app.mount(STATIC_URL, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_ui_parameters={"displayOperationId": True},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
