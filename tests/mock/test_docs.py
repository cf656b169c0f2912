"""/docs (Swagger UI from the installed swagger-ui-bundle package, no CDN) and the spec itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from devkit import call
from mockkit import PATH_NOT_FOUND, TOKEN_A, Api, assert_error
from swagger_ui_bundle import swagger_ui_path

from mock_server import DEFAULT_FIXTURES_PATH, DEFAULT_SPEC_PATH, MockState, create_app, load_fixtures
from mock_server.spec import load_spec


def test_docs_page_uses_only_local_assets(api: Api) -> None:
    response = api.get("/docs", token=None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "http://" not in html and "https://" not in html  # no CDN: works offline
    references = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r'url:\s*"([^"]+)"', html)
    assert references, html
    for reference in references:
        assert reference.startswith("/docs/static/") or reference == "/openapi.json", reference
    assert "/openapi.json" in references
    assert "/docs/static/swagger-ui-bundle.js" in references


def test_the_static_assets_are_served_from_the_installed_package(api: Api) -> None:
    html = api.get("/docs", token=None).text
    for reference in re.findall(r'(?:src|href)="(/docs/static/[^"]+)"', html):
        response = api.get(reference, token=None)
        assert response.status_code == 200, reference
        name = reference.removeprefix("/docs/static/")
        assert response.content == (Path(swagger_ui_path) / name).read_bytes()
    script = api.get("/docs/static/swagger-ui-bundle.js", token=None)
    assert "javascript" in script.headers["content-type"]
    assert b"SwaggerUIBundle" in script.content


def test_a_missing_static_asset_is_a_404(api: Api) -> None:
    assert api.get("/docs/static/nothing-here.js", token=None).status_code == 404


def test_openapi_yaml_is_the_file(api: Api) -> None:
    response = api.get("/openapi.yaml", token=None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.text == DEFAULT_SPEC_PATH.read_text(encoding="utf-8")


def test_openapi_json_is_the_file_as_json(api: Api) -> None:
    response = api.get("/openapi.json", token=None)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.text) == yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))


def test_docs_and_spec_need_no_token_and_ignore_a_wrong_one(api: Api) -> None:
    for path in ("/docs", "/openapi.yaml", "/openapi.json"):
        assert api.get(path, token="not-a-token").status_code == 200


def test_the_served_spec_is_the_one_the_mock_runs(tmp_path: Path) -> None:
    copy = tmp_path / "contacts.yaml"
    text = DEFAULT_SPEC_PATH.read_text(encoding="utf-8").replace(
        "title: CRM Contacts API", "title: CRM Contacts API (local copy)"
    )
    copy.write_text(text, encoding="utf-8")
    spec = load_spec(copy)
    app = create_app(MockState.seeded(spec, load_fixtures(DEFAULT_FIXTURES_PATH, spec)))
    assert call(app, "GET", "/openapi.yaml").text == text
    assert call(app, "GET", "/openapi.json").json()["info"]["title"] == "CRM Contacts API (local copy)"


def test_the_bundle_is_a_real_installed_package() -> None:
    assert (Path(swagger_ui_path) / "swagger-ui-bundle.js").is_file()
    assert "site-packages" in str(swagger_ui_path) or "swagger_ui_bundle" in str(swagger_ui_path)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("token", [TOKEN_A, None], ids=["credentials", "no credentials"])
def test_the_root_redirects_to_the_docs(api: Api, method: str, token: str | None) -> None:
    # Opening the mock's URL in a browser lands on the docs, not on a JSON 404.
    response = api.request(method, "/", token=token)
    assert response.status_code == 307
    assert response.headers["location"] == "/docs"
    assert api.get(response.headers["location"], token=None).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_the_root_are_the_json_404_of_unknown_paths(api: Api, method: str) -> None:
    assert_error(api.request(method, "/"), 404, "not_found", PATH_NOT_FOUND)
    assert_error(api.request(method, "/nowhere"), 404, "not_found", PATH_NOT_FOUND)
    assert_error(api.get("/nowhere"), 404, "not_found", PATH_NOT_FOUND)
