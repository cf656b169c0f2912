"""What the proxy costs: requests/s direct to the mock and through contacts-proxy, side by side.

    python -m benchmarks.proxy [--duration 5] [--connections 20] [--rounds 2]

Three targets in one run, each row measured in alternation (direct, proxy with
checks, proxy forwarding only) for `--rounds` rounds so that drift on a shared
machine hits all three alike: the mock as `make mock` serves it, `contacts-proxy`
in front of it, and `contacts-proxy --no-check` in front of it (the cost of the
extra hop alone). Prints req/s, p50 latency and the ratios. wrk when installed,
else benchmarks/pyload.py (`--generator` chooses). Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence

from mock_server.testing import free_port, serve

from .common import LOOPBACK, clean_env, machine_summary
from .load import LoadResult, run_load, wrk_path
from .scenarios import SCENARIOS, Scenario
from .servers import ServerPool

TOKEN = "dev-token-org-a"
ROWS = ("get_one", "list", "patch", "post")


def proxy_command(port: int, upstream: str, check: bool) -> list[str]:
    command = [sys.executable, "-m", "contacts_proxy", "--upstream", upstream, "--host", LOOPBACK]
    command += ["--port", str(port), "--log-level", "info"]
    return command + ([] if check else ["--no-check"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="alternating measurements per row and target")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, of {', '.join(ROWS)}")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk, the Python fallback, or auto (wrk when installed)",
    )
    args = parser.parse_args(argv)
    if args.generator == "wrk" and wrk_path() is None:
        parser.error("--generator wrk: wrk is not installed (apt-get install wrk)")
    generator = args.generator if args.generator != "auto" else ("wrk" if wrk_path() else "python")
    rows = [s for s in SCENARIOS if s.key in args.rows.split(",")]
    ready = ("GET", "/__admin/health", {})
    with ServerPool() as pool:
        mock = pool.serve("mock", serve(mode="subprocess", host=LOOPBACK, log_level="info", env=clean_env()))
        targets = {"direct": mock.base_url}
        for name, check in (("proxy", True), ("proxy --no-check", False)):
            port = free_port()
            served = pool.start(name, proxy_command(port, mock.base_url, check), port, ready=ready)
            targets[name] = served.base_url
        print("\n".join(machine_summary()))
        print(
            f"load: {generator}, {args.connections} connections, {args.duration:g} s x {args.rounds} rounds"
        )
        header = f"{'row':<20}{'direct req/s':>14}{'proxy req/s':>13}{'ratio':>7}{'no-check req/s':>16}"
        header += f"{'ratio':>7}{'p50 direct/proxy ms':>22}"
        print(header)
        for scen in rows:
            results = _measure(scen, targets, args, generator)
            direct, proxy, bare = (results[name] for name in targets)
            rps = {name: statistics.median(r.rps for r in rs) for name, rs in results.items()}
            p50 = {name: statistics.median(r.p50_ms for r in rs) for name, rs in results.items()}
            errors = sum(r.errors_socket for rs in results.values() for r in rs)
            print(
                f"{scen.label:<20}{rps['direct']:>14,.0f}{rps['proxy']:>13,.0f}"
                f"{rps['proxy'] / rps['direct']:>7.2f}{rps['proxy --no-check']:>16,.0f}"
                f"{rps['proxy --no-check'] / rps['direct']:>7.2f}"
                f"{p50['direct']:>11.2f} / {p50['proxy']:<8.2f}"
                + (f"  ({errors} socket errors)" if errors else "")
            )
            del direct, proxy, bare
    return 0


def _measure(
    scen: Scenario, targets: dict[str, str], args: argparse.Namespace, generator: str
) -> dict[str, list[LoadResult]]:
    results: dict[str, list[LoadResult]] = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, url in targets.items():
            results[name].append(
                run_load(
                    generator,
                    url,
                    scen,
                    TOKEN,
                    duration=args.duration,
                    connections=args.connections,
                    threads=2,
                    pin=False,
                )
            )
    return results


if __name__ == "__main__":
    sys.exit(main())
