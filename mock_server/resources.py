"""The packaged data: the spec and the seed fixtures, found with importlib.resources.

In a wheel they are real files in ``mock_server/data/``. In a clone,
``mock_server/data/`` holds symlinks to ``openapi.yaml`` and
``fixtures/seed.json`` at the repository root, the single source of truth that
people, `make lint-spec` and client generators use; the build copies their
content into the wheel. Paths are resolved, so messages and ``--reload`` name
the root files in a clone.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_file(name: str) -> Path:
    """The path of a file shipped in ``mock_server/data/`` (``openapi.yaml``, ``seed.json``)."""
    return Path(str(files(__package__ or "mock_server").joinpath("data", name))).resolve()
