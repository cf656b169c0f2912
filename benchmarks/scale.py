"""Scale: the list queries at N contacts in one organization, timed server-side, in-process.

The driver (`run_scale`) starts one fresh worker process per size, so each
resident-memory figure is that of a clean interpreter holding the mock with N
contacts and nothing else:

    python -m benchmarks.scale --size 100000 --budget 2

The worker builds the mock exactly as the CLI does (`load_spec`, `MockState`,
`create_app`), seeds N generated contacts through the store
(`Organization.add`, not HTTP), then times each query two ways:

- app: the ASGI app called directly with a prepared HTTP scope (what uvicorn
  hands it after parsing): routing, auth, query validation, the store, JSON
  encoding; no sockets and no client, so the figure is the server's own cost.
- store: `Organization.page(ListQuery)` alone, the part that grows with N.

It prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .common import ROOT, clean_env, percentile, pin_prefix, rss_mb

BENCH_TOKEN = "bench-token"
BENCH_ORG = "org_bench"
SCALE_SEARCH = "田中"
N_COMPANIES = 200


def company_id(index: int) -> str:
    return f"comp_{index:032x}"


SCALE_COMPANY = company_id(0)

# (key, label, query string); every one has limit=50, the default sort (created_at desc).
SCALE_QUERIES: tuple[tuple[str, str, str], ...] = (
    ("list", "list limit=50", "limit=50"),
    ("search", f"search={SCALE_SEARCH}", f"limit=50&search={quote(SCALE_SEARCH)}"),
    ("company", "company_id filter", f"limit=50&company_id={SCALE_COMPANY}"),
)

_JA_LAST = (
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水"
)
_JA_FIRST = "太郎 花子 一郎 陽子 健 美咲 翔太 さくら 大輔 由美 直樹 愛"
_LATIN_LAST = "Smith Johnson García Müller Rossi Dubois Silva Kowalski Novak Andersen Nguyen O'Brien"
_LATIN_FIRST = "Alice Bob Carlos Dana Élodie Felix Grace Hugo Inès Jonas Kai Lena"
_POSITIONS = ("部長", "課長", "Engineer", "Sales Manager", None)


def generated_contacts(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """`count` valid contacts (as the API shows them), 60% Japanese and 40% Latin names."""
    rng = random.Random(seed)
    ja_last, ja_first = _JA_LAST.split(), _JA_FIRST.split()
    la_last, la_first = _LATIN_LAST.split(), _LATIN_FIRST.split()
    moment = 1_704_067_200  # 2024-01-01T00:00:00Z
    contacts = []
    for index in range(count):
        moment += rng.randint(1, 120)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
        if rng.random() < 0.6:
            first, last = rng.choice(ja_first), rng.choice(ja_last)
            email = f"user{index}@example.jp" if rng.random() < 0.8 else None
        else:
            first, last = rng.choice(la_first), rng.choice(la_last)
            email = f"{first[0].lower()}.{index}@example.com"
        has_company = index == 0 or rng.random() < 0.8
        contacts.append(
            {
                "id": f"cont_{rng.getrandbits(128):032x}",
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": f"090-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}",
                "position": rng.choice(_POSITIONS),
                "company_id": company_id(0 if index == 0 else rng.randrange(N_COMPANIES))
                if has_company
                else None,
                "note": None,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return contacts


def _timed(samples_ns: list[int], budget: float, max_samples: int, once: Callable[[], object]) -> None:
    end = time.perf_counter() + budget
    while len(samples_ns) < max_samples and (len(samples_ns) < 5 or time.perf_counter() < end):
        started = time.perf_counter_ns()
        once()
        samples_ns.append(time.perf_counter_ns() - started)


def _summary(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    return {
        "p50_ms": percentile(ordered, 50) / 1e6,
        "p99_ms": percentile(ordered, 99) / 1e6,
        "n": len(ordered),
    }


async def _time_app(app: Any, scope: dict[str, Any], budget: float, max_samples: int) -> dict[str, Any]:
    from .asgi import call

    reply = await call(app, scope)
    if reply.status != 200:
        raise RuntimeError(f"{scope['query_string']!r} answered {reply.status}: {reply.body[:300]!r}")
    total = json.loads(reply.body)["total"]
    samples: list[int] = []
    end = time.perf_counter() + budget
    while len(samples) < max_samples and (len(samples) < 5 or time.perf_counter() < end):
        started = time.perf_counter_ns()
        await call(app, scope)
        samples.append(time.perf_counter_ns() - started)
    return {**_summary(samples), "total": total, "bytes": len(reply.body)}


def worker(size: int, budget: float, max_samples: int) -> dict[str, Any]:
    from mock_server import MockState, create_app, load_spec
    from mock_server.query import ListQuery
    from mock_server.store import Contact

    from .asgi import http_scope

    spec = load_spec()
    state = MockState.seeded(spec, None, {BENCH_TOKEN: BENCH_ORG})
    app = create_app(state)
    org = state.store.organization(BENCH_ORG)
    gc.collect()
    rss_empty, _ = rss_mb()

    started = time.perf_counter()
    for record in generated_contacts(size):
        org.add(Contact.from_json(record))
    seed_s = time.perf_counter() - started
    gc.collect()
    rss_seeded, _ = rss_mb()

    headers = [("authorization", f"Bearer {BENCH_TOKEN}")]
    queries: dict[str, Any] = {}
    for key, _label, query in SCALE_QUERIES:
        scope = http_scope("GET", f"/api/v1/crm/contacts?{query}", headers)
        app_figures = asyncio.run(_time_app(app, scope, budget, max_samples))
        params = dict(p.split("=", 1) for p in query.split("&"))
        list_query = ListQuery.from_params(
            {
                "limit": int(params["limit"]),
                "offset": 0,
                "sort": "created_at",
                "order": "desc",
                "search": SCALE_SEARCH if "search" in params else "",
                "company_id": params.get("company_id", ""),
            }
        )
        store_samples: list[int] = []
        _timed(store_samples, budget / 2, max_samples, functools.partial(org.page, list_query))
        store = _summary(store_samples)
        queries[key] = {
            "app_p50_ms": app_figures["p50_ms"],
            "app_p99_ms": app_figures["p99_ms"],
            "app_n": app_figures["n"],
            "store_p50_ms": store["p50_ms"],
            "store_p99_ms": store["p99_ms"],
            "store_n": store["n"],
            "total": app_figures["total"],
            "bytes": app_figures["bytes"],
        }
    _, rss_peak = rss_mb()
    return {
        "size": size,
        "contacts": len(org),
        "seed_s": seed_s,
        "rss_empty_mb": rss_empty,
        "rss_mb": rss_seeded,
        "rss_peak_mb": rss_peak,
        "queries": queries,
    }


@dataclass
class ScaleResult:
    size: int
    seed_s: float
    rss_empty_mb: float
    rss_mb: float
    rss_peak_mb: float
    queries: dict[str, dict[str, float]]

    def as_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "seed_s": self.seed_s,
            "rss_empty_mb": self.rss_empty_mb,
            "rss_mb": self.rss_mb,
            "rss_peak_mb": self.rss_peak_mb,
            "queries": self.queries,
        }


def run_scale(size: int, budget: float, pin: bool) -> ScaleResult:
    """One size in a fresh interpreter (clean RSS)."""
    command = [
        *pin_prefix(0, pin),
        sys.executable,
        "-m",
        "benchmarks.scale",
        "--size",
        str(size),
        "--budget",
        str(budget),
    ]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900 + 10 * budget,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scale worker for {size} contacts failed: {done.stderr.strip()[-3000:]}")
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    if raw["contacts"] != size:
        raise RuntimeError(f"the worker seeded {raw['contacts']} contacts, not {size}")
    return ScaleResult(
        size=raw["size"],
        seed_s=raw["seed_s"],
        rss_empty_mb=raw["rss_empty_mb"],
        rss_mb=raw["rss_mb"],
        rss_peak_mb=raw["rss_peak_mb"],
        queries=raw["queries"],
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of timing per query and method")
    parser.add_argument("--max-samples", type=int, default=5000)
    args = parser.parse_args(argv)
    print(json.dumps(worker(args.size, args.budget, args.max_samples)))


if __name__ == "__main__":
    main()
