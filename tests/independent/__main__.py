"""Serve the independent implementation on loopback.

    python -m tests.independent [--port 0] [--ready-file F]

With `--ready-file`, writes the base URL to F once the port listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
from pathlib import Path

import uvicorn

from .app import create_app


async def serve(port: int, ready_file: Path | None) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(512)
    sock.setblocking(False)
    # h11's default head limit (16 KiB) would answer 400 before the app could count the
    # header bytes itself (the contract's 431 at 16,384 bytes of name + value + 4).
    config = uvicorn.Config(
        create_app(), log_level="warning", access_log=False, h11_max_incomplete_event_size=1 << 20
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    if ready_file is not None:
        ready_file.write_text(url, encoding="utf-8")
    print(f"independent Contacts API on {url}", flush=True)
    await task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", type=Path)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.ready_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
