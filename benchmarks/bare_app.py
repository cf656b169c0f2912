"""The ceiling: a bare Starlette app on the same uvicorn, answering fixed JSON bodies.

Same routes, methods, status codes and body bytes as the mock (the bodies are
the mock's own answers, captured in-process before the run), but no auth,
validation, store or serialization: what Starlette + uvicorn (uvloop,
httptools) cost on this machine for responses of that size. Writes still read
and parse the JSON body (`await request.json()`), as any app that accepts a
JSON body must: reading it without parsing it would make the ceiling a server
that ignores its input.

    python -m benchmarks.bare_app --port 4020 --bodies bodies.json [--log-level info]

`bodies.json` maps each row key of benchmarks/scenarios.py to the body text.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .common import CONTACTS_PATH, LOOPBACK

JSON = "application/json"


def build_app(bodies: Mapping[str, bytes]) -> Starlette:
    get_one, listing, search = bodies["get_one"], bodies["list"], bodies["search"]
    patched, created = bodies["patch"], bodies["post"]
    location = f"{CONTACTS_PATH}/cont_00000000000000000000000000000000"

    async def one(request: Request) -> Response:
        if request.method == "PATCH":
            await request.json()
            return Response(patched, media_type=JSON)
        return Response(get_one, media_type=JSON)

    async def collection(request: Request) -> Response:
        if request.method == "POST":
            await request.json()
            return Response(created, status_code=201, media_type=JSON, headers={"Location": location})
        return Response(search if "search" in request.query_params else listing, media_type=JSON)

    return Starlette(
        routes=[
            Route(CONTACTS_PATH, collection, methods=["GET", "POST"]),
            Route(CONTACTS_PATH + "/{id}", one, methods=["GET", "PATCH"]),
        ]
    )


def load_bodies(path: Path) -> dict[str, bytes]:
    raw: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return {key: text.encode("utf-8") for key, text in raw.items()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_app", description=__doc__)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    app = build_app(load_bodies(args.bodies))
    # Exactly as mock_server/cli.py serves the mock.
    logging.basicConfig(level=args.log_level.upper(), format="%(message)s")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False)


if __name__ == "__main__":
    main()
