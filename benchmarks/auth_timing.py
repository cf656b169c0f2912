"""Does the time of a 401 depend on whether a token exists? `python benchmarks/auth_timing.py`

A measurement, not a test: it prints figures and never fails on them
(tests/hardening/test_security.py checks the property structurally: one SHA-256
and one dict probe per lookup, whatever the token).

In-process, through httpx.ASGITransport (no socket, no network), the seeded mock
answers N (default 2,000) `GET /api/v1/crm/contacts` with 401 for each of:

  (i)   a well-formed token that does not exist,
  (ii)  a token that differs from a real one (dev-token-org-a) in its last character,
  (iii) no token at all.

The three cases are interleaved request by request, in a rotating order, so
drift (GC, CPU frequency, caches) hits them alike. Then the lookup alone,
`TokenRegistry.organization_of`, is timed for the same tokens and the real one,
without the HTTP stack's noise. Printed: median and p99 per case and their
ratios to case (i).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)  # run as a script: import the project, not this folder's modules

import httpx  # noqa: E402

from mock_server import MockState, create_app  # noqa: E402
from mock_server.auth import TokenRegistry  # noqa: E402
from mock_server.fixtures import DEFAULT_FIXTURES_PATH, load_fixtures  # noqa: E402
from mock_server.spec import load_spec  # noqa: E402

REAL_TOKEN = "dev-token-org-a"  # fixtures/seed.json: org_blueai
CONTACTS = "/api/v1/crm/contacts"
CASES: dict[str, str | None] = {
    "(i) unknown, well-formed": "dev-token-org-q",
    "(ii) last character differs": REAL_TOKEN[:-1] + "z",
    "(iii) no token": None,
}


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def time_401s(requests: int, warmup: int) -> dict[str, list[float]]:
    spec = load_spec()
    state = MockState.seeded(spec, load_fixtures(DEFAULT_FIXTURES_PATH, spec))
    transport = httpx.ASGITransport(app=create_app(state), client=("127.0.0.1", 5555))
    headers = {name: {"Authorization": f"Bearer {token}"} if token else {} for name, token in CASES.items()}
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    names = list(CASES)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for round_ in range(warmup + requests):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                started = time.perf_counter_ns()
                response = await client.get(CONTACTS, headers=headers[name])
                elapsed = time.perf_counter_ns() - started
                if response.status_code != 401:
                    raise SystemExit(f"{name}: expected 401, got {response.status_code}: {response.text}")
                if round_ >= warmup:
                    samples[name].append(elapsed / 1000)  # microseconds
    return samples


def time_lookups(rounds: int, batch: int) -> dict[str, list[float]]:
    """ns per `organization_of` call, one figure per batch of `batch` calls."""
    spec = load_spec()
    registry = TokenRegistry(load_fixtures(DEFAULT_FIXTURES_PATH, spec).tokens)
    tokens = {name: token for name, token in CASES.items() if token is not None}
    tokens["(real) existing token"] = REAL_TOKEN
    samples: dict[str, list[float]] = {name: [] for name in tokens}
    names = list(tokens)
    lookup = registry.organization_of
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            token = tokens[name]
            started = time.perf_counter_ns()
            for _ in range(batch):
                lookup(token)
            samples[name].append((time.perf_counter_ns() - started) / batch)
    return samples


def table(title: str, unit: str, samples: dict[str, list[float]], digits: int) -> str:
    base = next(iter(samples.values()))
    base_median, base_p99 = statistics.median(base), percentile(base, 0.99)
    rows = [("case", "n", f"median {unit}", f"p99 {unit}", "median/(i)", "p99/(i)")]
    for name, values in samples.items():
        median, p99 = statistics.median(values), percentile(values, 0.99)
        rows.append(
            (
                name,
                f"{len(values):,}",
                f"{median:.{digits}f}",
                f"{p99:.{digits}f}",
                f"{median / base_median:.3f}",
                f"{p99 / base_p99:.3f}",
            )
        )
    sizes = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [title]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(sizes[0])] + [cell.rjust(sizes[i]) for i, cell in enumerate(row) if i]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * size for size in sizes))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000, help="401 answers timed per case")
    parser.add_argument("--warmup", type=int, default=200, help="untimed rounds first")
    parser.add_argument("--lookup-rounds", type=int, default=200, help="batches of lookups per token")
    parser.add_argument("--lookup-batch", type=int, default=1000, help="lookups per batch")
    args = parser.parse_args(argv)
    print(
        f"Python {sys.version.split()[0]}, httpx {httpx.__version__}; in-process (ASGITransport), "
        f"cases interleaved, {args.warmup} warm-up rounds"
    )
    http = asyncio.run(time_401s(args.requests, args.warmup))
    print()
    print(table("401 answers: GET /api/v1/crm/contacts (request to response, in-process)", "us", http, 1))
    lookups = time_lookups(args.lookup_rounds, args.lookup_batch)
    print()
    print(
        table(
            f"TokenRegistry.organization_of alone (ns per call, batches of {args.lookup_batch:,})",
            "ns",
            lookups,
            0,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
