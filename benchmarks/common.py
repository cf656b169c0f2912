"""Constants and small helpers shared by every part of the benchmarks."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
LUA_DIR = HERE / "lua"
NODE_DIR = HERE / ".node"  # Prism is installed here on demand (git-ignored)

TOKEN_A = "dev-token-org-a"  # fixtures/seed.json: org_blueai, 40 contacts
TOKEN_B = "dev-token-org-b"  # fixtures/seed.json: org_partner, 8 contacts
CONTACTS_PATH = "/api/v1/crm/contacts"
FIXTURE_CONTACT = "cont_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"  # org A's; PATCH and GET one target it
FIXTURE_COMPANY = "comp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
LOOPBACK = "127.0.0.1"  # every server binds here and every request goes here, nowhere else


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(pct / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(resident now, resident peak) of a process in MiB, from /proc/PID/status (Linux)."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, in seconds (Linux; 0.0 elsewhere).

    Per request, it is the figure that survives a busy machine: throughput shrinks when
    other processes take the server's core, CPU time per request mostly does not.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def pin_prefix(cpu: int, enabled: bool) -> list[str]:
    """`taskset -c CPU` when pinning is on and possible, else nothing."""
    if enabled and cpu_count() >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)]
    return []


def version_of(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def command_version(command: Sequence[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "?"


def machine_summary() -> list[str]:
    """Lines describing the machine and the software under test."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError):
        pass
    try:
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "load average ?"
    return [
        f"machine: {cpu_count()} cores ({model}), {mem_gib:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}; {load} at start",
        f"software: Python {sys.version.split()[0]}, uvicorn {version_of('uvicorn')}, "
        f"uvloop {version_of('uvloop')}, httptools {version_of('httptools')}, "
        f"starlette {version_of('starlette')}",
    ]


def clean_env() -> dict[str, str]:
    """The environment without the contract suite's variables, with the project importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env
