"""Send schemathesis's generated cases through the suite's own client.

schemathesis builds the request exactly as it always does (serialization,
hooks, the metadata its checks need); only the sending goes through
:class:`~contract_tests.client.ApiClient`, so its calls share the run's rate
limit, overall deadline, response size cap, request statistics and
inconclusive outcomes with every other test, in-process and over the network.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import requests
import urllib3
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from .client import ApiClient


class ClientSession(requests.Session):
    """A requests session whose `send` goes through an ApiClient (redirects are never followed)."""

    def __init__(self, client: ApiClient) -> None:
        super().__init__()
        self.client = client
        self.trust_env = False  # the ApiClient decides about proxies

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.pop("app", None)  # schemathesis passes it along when told to bypass its ASGI transport
        return super().request(method, url, *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        if body is not None and not isinstance(body, bytes):
            raise TypeError("streamed request bodies are not supported by the contract suite")
        assert request.method is not None and request.url is not None
        headers = {
            (k if isinstance(k, str) else k.decode("latin-1")): (
                v if isinstance(v, str) else v.decode("latin-1")
            )
            for k, v in request.headers.items()
        }
        exchange = self.client.send_raw(request.method, request.url, headers, body)
        answer = exchange.response
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.headers.raw]
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        # schemathesis reads repeated headers and the HTTP version from `raw`.
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(b""),
            headers=urllib3.HTTPHeaderDict(pairs),
            status=answer.status_code,
            version=11,
            reason=answer.reason_phrase,
            preload_content=False,
        )
        response._content = answer.content
        response._content_consumed = True
        response.reason = answer.reason_phrase
        response.url = request.url
        response.request = request
        response.encoding = get_encoding_from_headers(response.headers)
        response.elapsed = datetime.timedelta(seconds=exchange.elapsed)
        return response


def call(case: Any, session: ClientSession) -> Any:
    """`case.call()`, sent through the suite's client; returns schemathesis's Response."""
    return case.call(base_url=session.client.target.base_url, session=session, app=None)


class SuiteTransport:
    """schemathesis's transport, with the suite's session wherever schemathesis brings none.

    schemathesis's own checks send requests of their own: `ignored_auth` probes an
    operation without credentials and with invalid ones, and drops the session the
    case was sent with. Through this transport those probes, too, share the run's rate
    limit, deadline, size cap, statistics and inconclusive outcomes.
    """

    def __init__(self, base: Any, session: Callable[[], ClientSession]) -> None:
        self._base = base
        self._session = session

    def send(self, case: Any, *, session: Any = None, **kwargs: Any) -> Any:
        return self._base.send(case, session=session or self._session(), **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def send_everything_through(schema: Any, session: Callable[[], ClientSession]) -> Any:
    """`schema`, whose every request (its cases, its checks' probes) goes through `session`.

    schemathesis picks its transport per schema (a property of the schema's class);
    a subclass per schema overrides it, and the schema's clones keep the class.
    """
    base = type(schema)

    def transport(self: Any) -> SuiteTransport:
        return SuiteTransport(base.transport.fget(self), session)

    schema.__class__ = type(f"Suite{base.__name__}", (base,), {"transport": property(transport)})
    return schema
