"""A small closed-loop HTTP/1.1 load generator, the fallback when wrk is not installed.

    python -m benchmarks.pyload --url http://127.0.0.1:PORT --scenario get_one \
        --token dev-token-org-a --connections 50 --duration 10

Like wrk: N keep-alive connections, each sending its next request as soon as
the previous answer is read, for a fixed time; latency is measured per request
from write to the last body byte. It runs on asyncio with uvloop (a dependency
of uvicorn[standard]) in one process. Where these benchmarks were written
(2 cores, each server and the generator on its own core) it drove the bare
Starlette app about as fast as wrk did, so it is not the bottleneck for these
servers; but its latencies include its own event loop's scheduling and it is
less proven than wrk. It is here so the script and its smoke test work
without wrk; the published figures come from wrk (`apt-get install wrk`).
Prints one JSON line with the fields of `load.LoadResult`. Only 127.0.0.1 is
allowed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .common import LOOPBACK, percentile
from .scenarios import SCENARIO_KEYS, Scenario, body_for, scenario


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    bytes: int = 0
    errors_status: int = 0
    errors_socket: int = 0
    counter: int = 0


def request_bytes(scen: Scenario, host: str, token: str, counter: int) -> bytes:
    lines = [
        f"{scen.method} {scen.target} HTTP/1.1",
        f"Host: {host}",
        f"Authorization: Bearer {token}",
    ]
    body = body_for(scen, counter)
    if scen.has_body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, bytes read, keep-alive) of one response; Content-Length or chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked, keep_alive = 0, False, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            keep_alive = False
    size = len(head)
    if chunked:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            chunk = int(size_line.split(b";")[0], 16)
            data = await reader.readexactly(chunk + 2)
            size += len(size_line) + len(data)
            if chunk == 0:
                break
    elif length:
        size += len(await reader.readexactly(length))
    return status, size, keep_alive


async def connection(host: str, port: int, scen: Scenario, token: str, deadline: float, tally: Tally) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.perf_counter() < deadline:
            if writer is None or reader is None:
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                except OSError:
                    tally.errors_socket += 1
                    await asyncio.sleep(0.05)
                    continue
            tally.counter += 1
            payload = request_bytes(scen, f"{host}:{port}", token, tally.counter)
            started = time.perf_counter()
            try:
                writer.write(payload)
                status, size, keep_alive = await asyncio.wait_for(read_response(reader), timeout=5)
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                TimeoutError,
                ValueError,
            ):
                tally.errors_socket += 1
                writer.close()
                reader = writer = None
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.bytes += size
            if status >= 400:
                tally.errors_status += 1
            if not keep_alive:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def run(url: str, scen: Scenario, token: str, connections: int, duration: float) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or LOOPBACK, parts.port or 80
    if host not in (LOOPBACK, "localhost"):
        raise SystemExit("pyload only sends requests to 127.0.0.1")
    tally = Tally()
    started = time.perf_counter()
    deadline = started + duration
    tasks = [connection(host, port, scen, token, deadline, tally) for _ in range(connections)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 30)
    seconds = time.perf_counter() - started
    latencies = sorted(tally.latencies)
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "bytes": tally.bytes,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors_status": tally.errors_status,
        "errors_socket": tally.errors_socket,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pyload", description=__doc__)
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT (no path)")
    parser.add_argument("--scenario", required=True, choices=SCENARIO_KEYS)
    parser.add_argument("--token", required=True)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    work = run(args.url, scenario(args.scenario), args.token, args.connections, args.duration)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(work)
    else:
        result = uvloop.run(work)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
