"""Interactive API docs and the spec itself, served offline; `/` redirects to the docs.

Swagger UI comes from the installed `swagger-ui-bundle` package: no CDN, so the
docs work on machines without internet.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from .errors import NotFound, error_response
from .spec import YAML_LOADER

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


@functools.lru_cache(maxsize=8)
def _rendered(path: Path, mtime_ns: int, size: int) -> tuple[str, str]:
    # Parsed once per version of the file: every app of a test run shares it, and an
    # edit (--reload) changes the key.
    raw_text = path.read_text(encoding="utf-8")
    return raw_text, json.dumps(yaml.load(raw_text, Loader=YAML_LOADER), ensure_ascii=False, default=str)


def docs_routes(spec_path: Path) -> list[BaseRoute]:
    """/docs (Swagger UI), /openapi.yaml as written and /openapi.json, from the spec file."""
    path = Path(spec_path)
    stat = path.stat()
    raw_text, as_json = _rendered(path, stat.st_mtime_ns, stat.st_size)

    async def docs(request: Request) -> Response:
        return HTMLResponse(_PAGE)

    async def home(request: Request) -> Response:
        # A browser opening the mock's URL lands on the docs; any other method on `/` is
        # an unknown path, as everywhere off the contract's paths.
        if request.method in ("GET", "HEAD"):
            return RedirectResponse("/docs", status_code=307)
        return error_response(NotFound())

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
