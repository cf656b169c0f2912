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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from .deadline import DeadlineTransport, request_deadline
from .settings import Settings

MS_PER_WORKER = 8.0
MAX_AUTO_WORKERS = 8
_PROBES = 3

# Plugins installed with the kit whose fixtures the suite's tests never use; a worker does not load them.
UNUSED_PLUGINS = ("faker", "respx", "contacts_mock", "locust")
# Tests that are long chains of requests (many generated examples each), by function name: the
# longest start first, so that no long chain begins last and sets the run's wall time alone.
LONG_CHAINS = {"test_operation_conforms_to_the_spec": 3, "test_the_server_behaves_like_the_model": 2}
_PACKAGE = Path(__file__).resolve().parent
_SAVED_ADDOPTS = pytest.StashKey[str | None]()


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
    # One test at a time per request for more work (xdist keeps two queued per worker): the order
    # of `schedule` then decides which worker runs what, instead of chunks of 14 tests.
    config.option.maxschedchunk = 1
    if _only_this_suite(config):
        _lighten_workers(config)
    return True


def worker_options() -> list[str]:
    """Command-line options for the worker processes this suite starts.

    Each worker imports pytest, hypothesis and schemathesis anew, on CPU that the run
    needs for its tests. `--assert=plain`: the suite's verdicts are never bare `assert`
    statements, and pytest rewrites the asserts of every module of every plugin's
    distribution (hypothesis, schemathesis...), anew in each process when bytecode is
    not written (PYTHONDONTWRITEBYTECODE, common in CI images): about 2.5 s of CPU a
    worker. The plugins of other tools installed with the kit are not loaded.
    """
    options = ["--assert=plain"]
    for name in UNUSED_PLUGINS:
        options += ["-p", f"no:{name}"]
    return options


def _only_this_suite(config: pytest.Config) -> bool:
    """The run selects nothing but this suite's tests (so its workers need nothing else)."""
    base = config.invocation_params.dir
    paths = [Path(base, str(arg).split("::", 1)[0]).resolve() for arg in config.args]
    return bool(paths) and all(path == _PACKAGE or _PACKAGE in path.parents for path in paths)


def _lighten_workers(config: pytest.Config) -> None:
    # pytest-xdist starts its workers with the controller's environment and arguments; PYTEST_ADDOPTS
    # is the one way in. Set until the workers have started (restore_environment).
    saved = os.environ.get("PYTEST_ADDOPTS")
    config.stash[_SAVED_ADDOPTS] = saved
    os.environ["PYTEST_ADDOPTS"] = " ".join([saved or "", *worker_options()]).strip()


def restore_environment(config: pytest.Config) -> None:
    """Undo `_lighten_workers` (the workers have started)."""
    if _SAVED_ADDOPTS not in config.stash:
        return
    saved = config.stash[_SAVED_ADDOPTS]
    del config.stash[_SAVED_ADDOPTS]
    if saved is None:
        os.environ.pop("PYTEST_ADDOPTS", None)
    else:
        os.environ["PYTEST_ADDOPTS"] = saved


def ours(items: Sequence[pytest.Item]) -> bool:
    """Every item is one of this suite's tests (a run of the whole repository keeps its own order)."""
    return all(_PACKAGE in Path(item.path).resolve().parents for item in items)


def weight(item: pytest.Item) -> int:
    """How long a chain of requests the test is, roughly: 0 one or a few requests, more: longer."""
    name = getattr(item, "originalname", None) or item.name.split("[", 1)[0]
    if name in LONG_CHAINS:
        return LONG_CHAINS[name]
    function = getattr(item, "obj", None)
    return 1 if getattr(function, "is_hypothesis_test", False) else 0


def schedule(items: Sequence[pytest.Item], workers: int) -> list[pytest.Item]:
    """The order in which pytest-xdist hands out the tests (the same in every worker).

    Longest chains first, each first one paired with a short test (xdist queues two per
    worker: two long chains must not queue behind each other), then the other long ones,
    then the rest in collection order. Deterministic: every worker must collect the same list.
    """
    indexed = sorted(enumerate(items), key=lambda pair: (-weight(pair[1]), pair[0]))
    heavy = [item for _, item in indexed if weight(item) > 0]
    light = [item for _, item in indexed if weight(item) == 0]
    order: list[pytest.Item] = []
    for _ in range(workers):
        if heavy:
            order.append(heavy.pop(0))
        if light:
            order.append(light.pop())
    return [*order, *heavy, *light]
