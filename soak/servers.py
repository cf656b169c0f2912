"""Serve every variant of `variants.py` from one process: one loopback port per variant.

    python -m soak.servers --upstream URL --ready-file F [--variant NAME ...] [--latency-ms 40]

Writes F (JSON: variant -> URL, then a newline: mock_server.testing.wait_for_ready_file)
once every port listens. The `busy` variant
also runs another client writing in organization A (`--token`). The `independent`
variant is no proxy: it serves `tests/independent` (its own data, seeded from
`fixtures/seed.json`, the same tokens).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
from pathlib import Path
from typing import Any

import uvicorn

from .variants import VARIANTS, VariantProxy, busy_writer


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY on Linux. Without it, an answer written in two
    # segments (head, then body) on a kept-alive connection waits for the client's delayed ACK:
    # about 40 ms per request, which made every variant a "40 ms slower" deployment.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    sock.setblocking(False)
    return sock


def _app(upstream: str, variant: str, latency_ms: float) -> Any:
    if variant == "independent":
        from tests.independent.app import create_app

        return create_app()
    return VariantProxy(upstream, variant, latency_ms)


async def serve(upstream: str, variants: list[str], ready_file: Path, latency_ms: float, token: str) -> None:
    servers = []
    urls = {}
    tasks = []
    for variant in variants:
        sock = _bound_socket()
        config = uvicorn.Config(
            _app(upstream, variant, latency_ms), log_level="warning", lifespan="off", access_log=False
        )
        server = uvicorn.Server(config)
        servers.append(server)
        urls[variant] = f"http://127.0.0.1:{sock.getsockname()[1]}"
        tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
    stop = asyncio.Event()
    writer = asyncio.create_task(busy_writer(upstream, token, stop)) if "busy" in variants else None
    while not all(server.started for server in servers):
        await asyncio.sleep(0.05)
    ready_file.write_text(json.dumps(urls) + "\n", encoding="utf-8")  # the newline: written whole
    try:
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        if writer is not None:
            await writer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--variant", action="append", choices=VARIANTS, default=[])
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--token", default="dev-token-org-a")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(args.upstream, args.variant or list(VARIANTS), args.ready_file, args.latency_ms, args.token)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
