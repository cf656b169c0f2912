"""The Python client recipe (examples/python): generate, `mypy --strict`, run against the mock.

openapi-python-client and the type checker live in a tool venv of their own
(.cache/examples/python-venv, pinned by examples/python/requirements.txt, built once
and reused while the pins stay the same), so its pins never meet the project's.
The client is generated from the repo's openapi.yaml on every run, never committed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CACHE, REPO, TOKEN, check_demo_output, run

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "python"
VENV = CACHE / "python-venv"
BIN = VENV / "bin"


def tool_venv() -> Path:
    """The tool venv, (re)built when examples/python/requirements.txt changed."""
    requirements = EXAMPLE / "requirements.txt"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = VENV / ".requirements-sha256"
    if stamp.exists() and stamp.read_text() == wanted and (BIN / "python").exists():
        return BIN
    shutil.rmtree(VENV, ignore_errors=True)
    # No pip of its own (ensurepip cost ~7 s of CPU, 2026-11-30): this interpreter's pip installs
    # into it (`--python`). The requirements are a complete lock, so nothing is left to resolve.
    # No bytecode compiled at install: the recipe imports a small part of these packages (mypy is
    # compiled with mypyc), and Python compiles that part on first use. 2026-11-30, this test with
    # the tool venv built anew, two runs each: 13.4 and 13.2 s of CPU with compiling, 10.2 and 9.7
    # s without.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)
    install = [sys.executable, "-m", "pip", "--python", BIN / "python"]
    install += ["install", "--quiet", "--no-deps", "--no-compile"]
    run([*install, "-r", requirements], cwd=EXAMPLE)
    stamp.write_text(wanted)
    return BIN


def test_the_generated_python_client_type_checks_and_runs(mock_url: str, tmp_path: Path) -> None:
    bin_dir = tool_venv()
    generated = tmp_path / "generated"
    run(
        [
            bin_dir / "openapi-python-client",
            "generate",
            "--path",
            REPO / "openapi.yaml",
            "--config",
            EXAMPLE / "config.yaml",
            "--output-path",
            generated,
        ],
        cwd=EXAMPLE,
    )
    assert (generated / "contacts_api_client" / "api" / "contacts" / "get_contact.py").exists()
    # The generated package is type-checked too: mypy follows the demo's imports into it.
    run(
        [bin_dir / "mypy", "--strict", "--cache-dir", CACHE / "mypy", "contacts_demo.py"],
        cwd=EXAMPLE,
        env={"MYPYPATH": str(generated)},
    )
    stdout = run(
        [bin_dir / "python", "contacts_demo.py"],
        cwd=EXAMPLE,
        env={"PYTHONPATH": str(generated), "CONTACTS_API_URL": mock_url, "CONTACTS_API_TOKEN": TOKEN},
        timeout=120,
    )
    check_demo_output(stdout, mock_url)
