"""`--state-file`: the store survives restarts.

Guarantee: the file is always a whole, valid snapshot (written to a temporary
file in the same folder, flushed, fsync'ed, then renamed over the old one, and
the folder fsync'ed). It holds every write acknowledged before the start of its
last completed save. Saves run whenever writes happened, at most every
`save_interval` seconds, and once more on a clean shutdown; a crash loses at
most the writes acknowledged since the last completed save began.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import FixtureError
from .fixtures import Seed, parse_fixtures
from .periodic import Periodic
from .spec import Spec
from .store import Store

logger = logging.getLogger("mock_server")


def write_atomically(path: Path, data: Any) -> None:
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # the rename itself is durable once the folder is synced
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load_state(path: Path, spec: Spec) -> Seed | None:
    """The saved contacts, validated like fixtures; None when there is no file yet.

    Temporary files of saves that a crash interrupted are removed: they were
    never renamed into place, so they hold nothing the state file needs.
    """
    path = Path(path)
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"{path}: not a readable state file: {exc}") from None
    return parse_fixtures(raw, spec, source=str(path), allow_tokens=False)


class StateSaver:
    """Saves the store whenever it changed, at most every `interval` seconds."""

    def __init__(self, store: Store, path: Path, interval: float) -> None:
        self.store = store
        self.path = Path(path)
        self.interval = interval
        self.saved_version = store.version
        self.saves = 0
        self._periodic = Periodic(interval, self._tick)

    async def save_if_changed(self) -> None:
        version = self.store.version
        if version == self.saved_version:
            return
        snapshot = self.store.snapshot()  # taken on the event loop: a consistent cut of the writes
        await asyncio.to_thread(write_atomically, self.path, snapshot)
        self.saved_version = version
        self.saves += 1

    async def _tick(self) -> None:
        try:
            await self.save_if_changed()
        except OSError as exc:
            logger.error("contacts-mock: cannot save the state to %s: %s", self.path, exc)

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
        await self.save_if_changed()
