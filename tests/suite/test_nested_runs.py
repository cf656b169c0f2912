"""The private pytest hook the nested suite runs lean on still does what it is used for.

`tests/suite/nested.py` sets `_pytest.unraisableexception.gc_collect_iterations_key` so a nested
session skips pytest's forced `gc.collect()`. It is not public API: an upgrade of pytest may
silently ignore it, and only the CPU time of `make test` would tell. The test runs a tiny
session both ways, with the plugin and without it, so it fails when the key stops working, not
only when its name disappears. (`tests/suite/noshrink.py` imports Hypothesis's own constant
for the attribute it drops, so a rename there fails at import.)
"""

from __future__ import annotations

import contextlib
import gc
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .nested import _NoForcedCollection

PASSING = "def test_passes():\n    assert True\n"


def run_session(folder: Path, plugins: list[object]) -> tuple[int, str]:
    """A tiny pytest session in `folder`; its exit code and output."""
    buffer = io.StringIO()
    with contextlib.chdir(folder), contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = pytest.main(
            [
                str(folder),
                "-p",
                "no:cacheprovider",
                "-q",
                "--import-mode=importlib",
                "--rootdir",
                str(folder),
            ],
            plugins=plugins,
        )
    return int(code), buffer.getvalue()


def counting(calls: list[int], collect: Callable[..., int]) -> Callable[..., int]:
    def counted(*args: Any) -> int:
        calls.append(1)
        return collect(*args)

    return counted


@pytest.mark.parametrize(("plugins", "forced"), [([], True), ([_NoForcedCollection()], False)])
def test_a_nested_session_forces_a_garbage_collection_only_without_the_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugins: list[object], forced: bool
) -> None:
    (tmp_path / "test_one.py").write_text(PASSING, encoding="utf-8")
    calls: list[int] = []
    monkeypatch.setattr(gc, "collect", counting(calls, gc.collect))
    code, output = run_session(tmp_path, plugins=plugins)
    assert code == 0, output
    assert bool(calls) is forced, f"{len(calls)} forced collections"
