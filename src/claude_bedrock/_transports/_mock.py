"""An in-memory transport for the unit tests of programs that use this client."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import httpx

__all__ = ["Handler", "MockTransport"]

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class MockTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with ``handler(request)``, in memory: no socket, no server.

    Give it to a client as ``transport=`` to test your own code without AWS::

        import httpx
        from claude_bedrock import AnthropicBedrock, MockTransport

        def handler(request: httpx.Request) -> httpx.Response:
            assert request.url.path.endswith("/invoke")  # InvokeModel
            return httpx.Response(200, json={
                "id": "msg_1", "type": "message", "role": "assistant",
                "model": "claude-opus-4-6", "content": [{"type": "text", "text": "Hi!"}],
                "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 3, "output_tokens": 2},
            })

        client = AnthropicBedrock(aws_region="us-east-1", api_key="test",
                                  transport=MockTransport(handler))

    The request the handler sees is the one that would go on the wire: signed (or with the
    API key), its body read. The client treats the answer as Bedrock's: an error status
    (say ``httpx.Response(429, json={"message": "Too many requests"},
    headers={"x-amzn-ErrorType": "ThrottlingException"})``) maps to the same exception and
    is retried the same way; a handler that raises an ``httpx.TransportError`` such as
    ``httpx.ConnectError`` acts as a network failure. ``requests`` lists every request
    received, retries included. The same transport serves ``AsyncAnthropicBedrock``,
    where the handler may also be an ``async def``.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        #: Every request received, in order (each retry is a new, freshly signed request).
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        response = self.handler(request)
        if not isinstance(response, httpx.Response):
            if inspect.iscoroutine(response):
                response.close()  # never awaited: say so once, not in a RuntimeWarning too
            raise TypeError(
                "the handler returned an awaitable: async handlers need AsyncAnthropicBedrock"
            )
        response.request = request
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        response = self.handler(request)
        if inspect.isawaitable(response):
            response = await response
        response.request = request
        return response
