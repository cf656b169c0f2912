"""The TypeScript client recipe (examples/typescript): generate, `tsc --strict`, run against the mock.

openapi-typescript 7, openapi-fetch and TypeScript 5.9 come from package-lock.json
(`npm ci`, packages cached in .cache/npm, node_modules kept while the lock file is
unchanged). Types are generated from the repo's openapi.yaml on every run.

Needs Node.js and npm. Without them this file fails (it is never skipped);
`make test` leaves it out with a note where npm is missing, and CI installs
Node.js and sets REQUIRE_NODE=1, so there it always runs.
"""

from __future__ import annotations

import hashlib
import shutil

import pytest

from .conftest import REPO, TOKEN, check_demo_output, run

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "typescript"
NPM_CACHE = REPO / ".cache" / "npm"


@pytest.fixture(scope="module")
def npm() -> str:
    found = shutil.which("npm")
    if found is None or shutil.which("node") is None:
        pytest.fail("Node.js and npm are needed (apt-get install -y nodejs npm); `make test` skips this file")
    return found


def install(npm: str) -> None:
    """`npm ci` from the lock file, once per lock file."""
    lock = EXAMPLE / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = EXAMPLE / "node_modules" / ".lock-sha256"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    run(
        [
            npm,
            "ci",
            "--cache",
            NPM_CACHE,
            "--prefer-offline",
            "--no-audit",
            "--no-fund",
            "--loglevel",
            "error",
        ],
        cwd=EXAMPLE,
    )
    stamp.write_text(wanted)


def test_the_generated_typescript_client_type_checks_and_runs(npm: str, mock_url: str) -> None:
    install(npm)
    bin_dir = EXAMPLE / "node_modules" / ".bin"
    shutil.rmtree(EXAMPLE / "generated", ignore_errors=True)
    shutil.rmtree(EXAMPLE / "build", ignore_errors=True)
    run(
        [bin_dir / "openapi-typescript", REPO / "openapi.yaml", "--output", "generated/schema.d.ts"],
        cwd=EXAMPLE,
    )
    schema = (EXAMPLE / "generated" / "schema.d.ts").read_text(encoding="utf-8")
    assert '"/api/v1/crm/contacts/{id}"' in schema
    # One strict pass type-checks and emits (noEmitOnError): a type error fails here.
    run([bin_dir / "tsc", "--strict", "-p", "tsconfig.json"], cwd=EXAMPLE)
    stdout = run(
        ["node", EXAMPLE / "build" / "src" / "contacts-demo.js"],
        cwd=EXAMPLE,
        env={"CONTACTS_API_URL": mock_url, "CONTACTS_API_TOKEN": TOKEN},
        timeout=120,
    )
    check_demo_output(stdout, mock_url)
