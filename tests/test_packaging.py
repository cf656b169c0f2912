"""The wheel works without the clone: built, installed into a fresh venv, run from another folder.

The wheel is built from this tree (`pip wheel --no-deps`), installed with
`--no-deps` into a new venv whose only other packages are this venv's (a `.pth`
line), and used from a temporary folder: `contacts-mock` serves the packaged
spec, seed and docs, and `pytest --pyargs contract_tests` runs the installed
suite against it. Nothing of the clone is importable there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]  # one wheel and venv for the module

ROOT = Path(__file__).resolve().parent.parent
TOKEN_A, TOKEN_B = "dev-token-org-a", "dev-token-org-b"
NOT_SOURCE = (
    ".venv",
    ".git",
    "build",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "reports",
    ".node",
)


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with nothing of the clone in it, to run everything from."""
    return tmp_path_factory.mktemp("elsewhere")


@pytest.fixture(scope="module")
def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("CONTRACT_", "PYTHON", "VIRTUAL_ENV"))}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, outside: Path, clean_env: dict[str, str]) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools builds in the source tree, and a stale build/ there
    # could put files in the wheel that the tree no longer has.
    source = base / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    wheel_command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(base)]
    run([*wheel_command, str(source)], base, clean_env)
    (wheel,) = base.glob("contacts_contract_kit-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, clean_env)
    python = venv / "bin" / "python"
    site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, clean_env
        ).strip()
    )
    # The dependencies come from this venv; a plain path line does not run its .pth files,
    # so the clone's editable install stays out.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
    run([*pip, "--no-index", str(wheel)], outside, clean_env)
    return venv


def test_the_installed_packages_and_their_data_are_outside_the_clone(
    venv: Path, outside: Path, clean_env: dict[str, str]
) -> None:
    code = (
        "import mock_server, contract_tests.settings as s, mock_server.testing;"
        "print(mock_server.__file__); print(mock_server.DEFAULT_SPEC_PATH);"
        "print(mock_server.DEFAULT_FIXTURES_PATH); print(s.SPEC_PATH)"
    )
    paths = run([str(venv / "bin" / "python"), "-c", code], outside, clean_env).split()
    for path in map(Path, paths):
        assert path.is_relative_to(venv), path
        assert path.is_file() and not path.is_symlink(), path
    assert Path(paths[1]).read_text(encoding="utf-8") == (ROOT / "openapi.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def served(venv: Path, outside: Path, clean_env: dict[str, str]) -> Iterator[str]:
    ready = outside / "mock.ready"
    command = [str(venv / "bin" / "contacts-mock"), "--port", "0", "--ready-file", str(ready)]
    with subprocess.Popen(
        [*command, "--log-level", "warning"],
        cwd=outside,
        env=clean_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as process:
        try:
            deadline = time.monotonic() + 30
            while not (ready.exists() and ready.read_text(encoding="utf-8").endswith("\n")):
                assert process.poll() is None, process.communicate()[1].decode()
                assert time.monotonic() < deadline, "the installed contacts-mock did not get ready"
                time.sleep(0.05)
            yield ready.read_text(encoding="utf-8").strip()
        finally:
            process.terminate()
            process.communicate(timeout=15)


def test_the_installed_contacts_mock_serves_the_spec_the_docs_and_the_seed(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        assert http.get("/openapi.yaml").text == (ROOT / "openapi.yaml").read_text(encoding="utf-8")
        assert http.get("/openapi.json").json()["openapi"].startswith("3.1")
        assert "swagger-ui" in http.get("/docs").text
        assert http.get("/docs/static/swagger-ui-bundle.js").status_code == 200
        listing = http.get("/api/v1/crm/contacts", headers={"Authorization": f"Bearer {TOKEN_A}"})
        assert listing.status_code == 200 and listing.json()["total"] == 40


def test_the_installed_suite_runs_with_pyargs(
    venv: Path, outside: Path, clean_env: dict[str, str], served: str
) -> None:
    env = {
        **clean_env,
        "CONTRACT_BASE_URL": served,
        "CONTRACT_TOKEN": TOKEN_A,
        "CONTRACT_OTHER_ORG_TOKEN": TOKEN_B,
    }
    # One module of the suite: what is under test is that the installed package collects,
    # finds its spec and runs, not the suite itself (the over-HTTP test covers that).
    command = [str(venv / "bin" / "python"), "-m", "pytest", "--pyargs", "contract_tests.test_security"]
    output = run([*command, "-p", "no:cacheprovider", "-q"], outside, env)
    assert " passed" in output and "failed" not in output, output[-3000:]
    assert f"target: live deployment {served}" in output, output[-3000:]
