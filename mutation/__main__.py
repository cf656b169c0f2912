"""`make mutation` / `python -m mutation`: run mutmut, then write reports/mutation.json.

    python -m mutation                 # fresh run over everything in scope (removes mutants/ first)
    python -m mutation --report-only   # rebuild the report from the last run's mutants/
    python -m mutation --resume        # keep mutants/ and mutmut's cached verdicts
    python -m mutation --jobs 1        # mutants tested at once (default 2)

Exit status: 0 when the goals hold (score >= --fail-under, no stale entry in
equivalents.toml), 1 otherwise, 2 when mutmut itself failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import report, scope

REPORT = scope.ROOT / "reports" / "mutation.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--resume", action="store_true", help="keep mutants/ and mutmut's cached verdicts")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the report")
    parser.add_argument(
        "--fail-under", type=float, default=95.0, help="minimum score in percent (default 95)"
    )
    parser.add_argument("--nice", type=int, default=10, help="niceness of the mutmut run (default 10)")
    parser.add_argument("names", nargs="*", help="only these mutants (mutmut names or patterns)")
    args = parser.parse_args(argv)

    root = scope.ROOT
    seconds = None
    if not args.report_only:
        if not args.resume and not args.names:
            shutil.rmtree(root / "mutants", ignore_errors=True)
        mutmut = Path(sys.executable).with_name("mutmut")
        command = ["nice", "-n", str(args.nice), str(mutmut), "run", "--max-children", str(args.jobs)]
        started = time.monotonic()
        names = args.names or (unfinished(root) if args.resume else None) or scope.patterns(root)
        status = subprocess.call([*command, *names], cwd=root)
        seconds = time.monotonic() - started
        if status != 0:
            print(f"mutmut failed (exit status {status}); see its output above", file=sys.stderr)
            return 2
    if args.names and not args.report_only:
        return 0  # a partial run: mutmut printed its verdicts; the report stays the full run's
    if not (root / "mutants").is_dir():
        print("no mutants/ folder: run `make mutation` first", file=sys.stderr)
        return 2
    built = report.build(root, seconds)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(built, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report.summary(built))
    print(f"report: {REPORT.relative_to(root)}")
    ok = built["score"] is not None and built["score"] >= args.fail_under and not built["stale_equivalents"]
    return 0 if ok else 1


def unfinished(root: Path) -> list[str]:
    """The mutants in scope that have no verdict yet (after an interrupted run)."""
    return sorted(name for name, (_, code, _) in report.results(root).items() if code is None)


if __name__ == "__main__":
    sys.exit(main())
