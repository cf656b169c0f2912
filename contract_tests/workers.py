"""Independent tests in parallel processes (pytest-xdist): how many, and what each reports back.

Against a deployment far away most of a run is waiting for answers; tests are
independent (each owns its data), so `--workers N` runs them in N processes.
Each worker has its own run tag, cleans up its own data and sends its counts
(coverage, cleanup, requests) to the controller, which prints one summary.
`--rate-limit` is shared: each of N workers sends at most rate/N per second.

`auto` (the default) measures the target's round trip first (the fastest of
three cheap GETs, so a busy machine does not pass for a far target): in-process
and on a nearby server the suite is CPU-bound and one process is fastest; the
farther the target, the more workers: one per `MS_PER_WORKER` ms of round
trip, at most `MAX_AUTO_WORKERS` and at most two per CPU (each worker costs a
second or two of CPU to start).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import httpx
import pytest

from .deadline import DeadlineTransport, request_deadline
from .settings import Settings

MS_PER_WORKER = 8.0
MAX_AUTO_WORKERS = 8
_PROBES = 3


def probe_latency(settings: Settings) -> float | None:
    """The fastest of a few cheap GETs, in seconds against a live target (None: in-process or no answer)."""
    if not settings.live or settings.base_url is None:
        return None
    headers = {"Authorization": f"Bearer {settings.token}"}
    timeout = min(settings.timeout, 10.0)
    samples = []
    try:
        with httpx.Client(
            base_url=settings.base_url, timeout=timeout, transport=DeadlineTransport()
        ) as client:
            for _ in range(_PROBES):
                if settings.rate_limit:
                    time.sleep(1.0 / settings.rate_limit)
                started = time.perf_counter()
                with request_deadline(timeout):
                    # Time to the answer's head: the body is not read (a broken target may never end it).
                    request = client.build_request(
                        "GET", "/api/v1/crm/contacts", params={"limit": 1}, headers=headers
                    )
                    client.send(request, stream=True).close()
                samples.append(time.perf_counter() - started)
    except httpx.HTTPError:
        return None
    return min(samples)


def resolve(settings: Settings) -> tuple[int, str]:
    """(workers, why) for this run."""
    if settings.workers is not None:
        return settings.workers, "--workers"
    latency = probe_latency(settings)
    if latency is None:
        return 1, "auto: in-process or no answer to the probe"
    ceiling = min(MAX_AUTO_WORKERS, 2 * (os.cpu_count() or 1))
    workers = max(1, min(ceiling, math.ceil(latency * 1000 / MS_PER_WORKER)))
    return workers, f"auto: round trip {latency * 1000:.1f} ms"


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def worker_count(config: pytest.Config) -> int:
    """How many processes share this run (1 without xdist)."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        return int(workerinput.get("workercount", 1))
    return 1


def distribute(config: pytest.Config, workers: int) -> bool:
    """Ask pytest-xdist for `workers` processes (before xdist's own configure). False: not possible."""
    if workers <= 1 or is_worker(config) or config.getoption("collectonly"):
        return False
    if not config.pluginmanager.hasplugin("xdist"):
        return False
    if config.getoption("numprocesses", None) or config.getoption("dist", "no") != "no":
        return True  # the user asked xdist directly (-n / --dist): that decides
    config.option.numprocesses = workers
    config.option.dist = "load"
    config.option.tx = ["popen"] * workers
    return True
