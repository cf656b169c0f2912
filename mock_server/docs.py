"""Interactive API docs and the spec itself, served offline; `/` redirects to the docs.

Swagger UI comes from the installed `swagger-ui-bundle` package: no CDN, so the
docs work on machines without internet.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from .errors import NotFound

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Contacts API mock: docs</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
  </script>
</body>
</html>
"""


def docs_routes(spec_path: Path) -> list[BaseRoute]:
    raw_text = Path(spec_path).read_text(encoding="utf-8")
    as_json = json.dumps(yaml.safe_load(raw_text), ensure_ascii=False, default=str)

    async def docs(request: Request) -> Response:
        return HTMLResponse(_PAGE)

    async def home(request: Request) -> Response:
        # A browser opening the mock's URL lands on the docs; any other method on `/` is
        # an unknown path, as everywhere off the contract's paths.
        if request.method in ("GET", "HEAD"):
            return RedirectResponse("/docs", status_code=307)
        return JSONResponse(NotFound().to_json(), status_code=NotFound.status)

    async def spec_yaml(request: Request) -> Response:
        return Response(raw_text, media_type="application/yaml; charset=utf-8")

    async def spec_json(request: Request) -> Response:
        return Response(as_json, media_type="application/json")

    return [
        Route("/", home, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        Route("/docs", docs),
        Mount("/docs/static", app=StaticFiles(directory=swagger_ui_path), name="swagger-ui"),
        Route("/openapi.yaml", spec_yaml),
        Route("/openapi.json", spec_json),
    ]
