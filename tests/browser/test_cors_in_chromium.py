"""A browser page served from another port calls the mock: headless Chromium from Debian's packages.

The mock runs in a subprocess (as developers run it); the page comes from a Python http.server on a
second port, so every call is cross-origin and needs the mock's CORS (preflight, credentials,
exposed Location). Needs `chromium` on PATH: `apt-get install -y chromium`.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.testing import serve

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
COLLECTION = "/api/v1/crm/contacts"
TOKEN_A = "dev-token-org-a"

PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>CORS check</title></head>
<body>
<pre id="list">pending</pre>
<pre id="create">pending</pre>
<script>
const MOCK = "__MOCK__";
const AUTH = {Authorization: "Bearer __TOKEN__"};
function show(id, value) { document.getElementById(id).textContent = JSON.stringify(value); }
async function run() {
  try {
    const listed = await fetch(MOCK + "/api/v1/crm/contacts?limit=1", {
      credentials: "include",
      headers: AUTH,
    });
    const page = await listed.json();
    show("list", {status: listed.status, total: page.total, first: page.items[0].id});
  } catch (error) {
    show("list", {error: String(error)});
  }
  try {
    const created = await fetch(MOCK + "/api/v1/crm/contacts", {
      method: "POST",
      credentials: "include",
      headers: {...AUTH, "Content-Type": "application/json"},
      body: JSON.stringify({first_name: "ブラウザ", last_name: "Chromium", note: "from another port"}),
    });
    const body = await created.json();
    const location = created.headers.get("Location");
    show("create", {status: created.status, location: location, contact: body.contact});
  } catch (error) {
    show("create", {error: String(error)});
  }
}
run();
</script>
</body>
</html>
"""


@pytest.fixture
def chromium() -> str:
    """The browser, looked up before anything is started; missing is a failure, never a skip."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not on PATH: this test needs Debian's Chromium. "
            "Install it with `apt-get install -y chromium` (as root, after `apt-get update`)."
        )
    return path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def mock_url() -> Iterator[str]:
    with serve(mode="subprocess") as mock:  # --port 0, waits for --ready-file
        yield mock.url


@pytest.fixture
def page_url(tmp_path: Path, mock_url: str) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    html = PAGE.replace("__MOCK__", mock_url).replace("__TOKEN__", TOKEN_A)
    (site / "index.html").write_text(html, encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join(timeout=5)


def dump_dom(browser: str, url: str, profile: Path) -> str:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result.stdout.decode("utf-8")


def shown(dom: str, element_id: str) -> dict[str, Any]:
    match = re.search(rf'<pre id="{element_id}">(.*?)</pre>', dom, re.S)
    assert match is not None, dom
    text = (
        match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )
    assert text != "pending", f"the page's script did not finish:\n{dom}"
    value: dict[str, Any] = json.loads(text)
    return value


def test_a_page_on_another_port_can_call_the_mock(
    chromium: str, mock_url: str, page_url: str, tmp_path: Path
) -> None:
    assert mock_url.rsplit(":", 1)[1] != page_url.rstrip("/").rsplit(":", 1)[1]  # cross-origin
    dom = dump_dom(chromium, page_url, tmp_path / "profile")

    listed = shown(dom, "list")
    assert "error" not in listed, listed
    assert (listed["status"], listed["total"]) == (200, 40)
    assert re.fullmatch(r"cont_[0-9a-f]{32}", listed["first"])

    created = shown(dom, "create")
    assert "error" not in created, created
    assert created["status"] == 201
    contact = created["contact"]
    assert (contact["first_name"], contact["last_name"], contact["note"]) == (
        "ブラウザ",
        "Chromium",
        "from another port",
    )
    assert created["location"] == f"{COLLECTION}/{contact['id']}"  # Location is exposed to scripts

    # The browser's write really reached the mock's state, with the preflight before it.
    with httpx.Client(base_url=mock_url, timeout=5) as http:
        got = http.get(f"{COLLECTION}/{contact['id']}", headers={"Authorization": f"Bearer {TOKEN_A}"})
        assert got.status_code == 200 and got.json()["contact"] == contact
        journal = http.get("/__admin/requests").json()["requests"]
    methods = [(e["method"], e["status"]) for e in reversed(journal)]
    assert ("OPTIONS", 200) in methods and ("POST", 201) in methods
    assert methods.index(("OPTIONS", 200)) < methods.index(("POST", 201))
