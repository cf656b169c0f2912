"""CORS for browser apps on local ports, with refusals in the contract's error shape."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import CorsRejected, error_response
from .options import LOCAL_ORIGINS, MockOptions


class ContractCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight in the contract's error shape."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only browsers send Origin; other clients skip the CORS machinery altogether.
        if scope["type"] == "http":
            for name, _ in scope["headers"]:
                if name == b"origin":
                    break
            else:
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        message = bytes(response.body).decode("utf-8", "replace") or "Disallowed CORS request"
        headers = {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}
        return error_response(CorsRejected(message + ".", headers=headers))


def cors_middleware(options: MockOptions) -> Middleware:
    """The CORS layer `options` ask for (any local origin unless `cors_origins` lists some)."""
    return Middleware(
        ContractCORSMiddleware,
        allow_origins=list(options.cors_origins),
        allow_origin_regex=None if options.cors_origins else LOCAL_ORIGINS,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Prefer"],
        expose_headers=[
            "Location",
            "Retry-After",
            "Preference-Applied",
            "X-Mock-Prefer-Ignored",
            "X-Mock-Injected",
        ],
        max_age=600,
    )
