"""Run one scenario through the official SDK 2.16 and through ours, against one emulator.

Shared by the parity tests (``test_sdk_parity.py`` and any other module that proves a part
of the drop-in promise): a :class:`Pair` is the official client and ours, built with the
same arguments and pointed at the same emulator, each given an ``http_client`` whose
``event_hooks`` request hook keeps every request as it left the client (signed, with its
body bytes; ``httpx2`` for the SDK, ``httpx`` for ours); :func:`assert_same` compares two
answers field by field; :func:`outcome` turns a call into what its caller sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import anthropic
import httpx
import httpx2

import claude_bedrock
from claude_bedrock.emulator import Emulator

REGION = "us-east-1"
#: InvokeModel takes the inference-profile ID, bedrock-mantle the bare one.
INVOKE_MODEL = "us.anthropic.claude-opus-4-7"
MANTLE_MODEL = "anthropic.claude-opus-4-7"
#: Request headers whose values both clients must agree on (where both send them).
HEADERS = ("anthropic-beta", "anthropic-workspace-id", "x-custom", "x-amzn-bedrock-service-tier")


# -- capturing the wire -------------------------------------------------------------------


@dataclass
class Sent:
    """One request as it left a client (signed, body read)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    def wire(self, *, invoke: bool) -> dict[str, Any]:
        """What both clients must agree on: method, path and query, the JSON body (as an
        object: key order and whitespace differ), the :data:`HEADERS`. Left out: the
        signature and date headers (signed at each call's own second) and InvokeModel's
        ``anthropic_version`` (ours sends Bedrock's documented ``bedrock-2023-05-31``, the
        SDK its own API date) and ``anthropic-beta`` header (the SDK leaves it beside the
        body's list, which is what Bedrock reads; ours sends the list only)."""
        body = dict(self.body) if isinstance(self.body, dict) else self.body
        if invoke and isinstance(body, dict):
            body.pop("anthropic_version", None)
        headers = {name: self.headers.get(name) for name in HEADERS}
        if invoke:
            headers.pop("anthropic-beta")
        return {"method": self.method, "path": self.path, "body": body, "headers": headers}


@dataclass
class Capture:
    """An ``event_hooks`` request hook for ``httpx`` and ``httpx2`` clients, sync or async."""

    sent: list[Sent] = field(default_factory=list)

    def _keep(self, request: Any) -> None:
        content = request.read()
        url = urlsplit(str(request.url))
        path = unquote(url.path) + (f"?{url.query}" if url.query else "")
        body = json.loads(content) if content else None
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.sent.append(Sent(request.method, path, headers, body))

    def hook(self, request: Any) -> None:
        self._keep(request)

    async def ahook(self, request: Any) -> None:
        self._keep(request)

    def one(self) -> Sent:
        taken, self.sent = self.sent, []
        assert len(taken) == 1, [s.path for s in taken]
        return taken[0]


@dataclass
class Pair:
    """The official client and ours, built alike, each with its own capture."""

    sdk: Any
    ours: Any
    sdk_sent: Capture
    our_sent: Capture
    model: str
    invoke: bool
    #: The ``http_client``s given to them: the test's to close (a client leaves them open).
    http_clients: list[Any]

    def close(self) -> None:
        self.sdk.close()
        self.ours.close()
        for http_client in self.http_clients:
            http_client.close()

    def wires(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return (
            self.sdk_sent.one().wire(invoke=self.invoke),
            self.our_sent.one().wire(invoke=self.invoke),
        )


def arguments(emulator: Emulator) -> dict[str, Any]:
    return {
        "aws_region": REGION, "aws_access_key": emulator.access_key,
        "aws_secret_key": emulator.secret_key, "max_retries": 0,
    }  # fmt: skip


def _pair(emulator: Emulator, kind: str) -> Pair:
    sdk_sent, our_sent = Capture(), Capture()
    given = arguments(emulator)
    if kind == "mantle":
        base, model = f"{emulator.url}/anthropic", MANTLE_MODEL
        sdk_class: Any = anthropic.AnthropicBedrockMantle
        our_class: Any = claude_bedrock.AnthropicBedrockMantle
    else:
        base, model = emulator.url, INVOKE_MODEL
        sdk_class, our_class = anthropic.AnthropicBedrock, claude_bedrock.AnthropicBedrock
    sdk_http = httpx2.Client(event_hooks={"request": [sdk_sent.hook]})
    our_http = httpx.Client(event_hooks={"request": [our_sent.hook]})
    sdk = sdk_class(base_url=base, http_client=sdk_http, **given)
    ours = our_class(base_url=base, http_client=our_http, **given)
    return Pair(sdk, ours, sdk_sent, our_sent, model, kind == "invoke", [sdk_http, our_http])


@contextmanager
def pair_on(emulator: Emulator, kind: str) -> Iterator[Pair]:
    built = _pair(emulator, kind)
    try:
        yield built
    finally:
        built.close()


# -- comparing answers --------------------------------------------------------------------

#: Keys whose values legitimately differ per call: the emulator makes a new message id,
#: and Bedrock's invocation metrics on ``message_stop`` time each call.
PER_CALL = frozenset({"id", "invocationLatency", "firstByteLatency"})


def dump(model: Any) -> Any:
    """A response object as plain data (both sides are pydantic models)."""
    return model.model_dump(mode="json", by_alias=True)


def assert_same(sdk: Any, ours: Any, where: str = "") -> None:
    """Field by field: equal where both have the field; a field only one side's class has
    must be None there (the emulator did not send it). ``PER_CALL`` keys are skipped."""
    if isinstance(sdk, dict) and isinstance(ours, dict):
        for key in sdk.keys() | ours.keys():
            here = f"{where}.{key}"
            if key in PER_CALL:
                assert (key in sdk) == (key in ours), here
            elif key in sdk and key in ours:
                assert_same(sdk[key], ours[key], here)
            else:
                only = sdk.get(key) if key in sdk else ours.get(key)
                assert only is None, f"{here} only on one side: {only!r}"
    elif isinstance(sdk, list) and isinstance(ours, list):
        assert len(sdk) == len(ours), where
        for index, (a, b) in enumerate(zip(sdk, ours, strict=True)):
            assert_same(a, b, f"{where}[{index}]")
    else:
        assert sdk == ours, f"{where}: SDK {sdk!r} != ours {ours!r}"


def outcome(send: Callable[[], Any]) -> tuple[str, Any]:
    """``("ok", message data)`` or ``("error", (status code, error body))``: what a caller
    sees (the body is the service's own, request id aside: it is new per call)."""
    try:
        return "ok", dump(send())
    except (anthropic.APIStatusError, claude_bedrock.APIStatusError) as error:
        body = dict(error.body) if isinstance(error.body, dict) else error.body
        if isinstance(body, dict):
            body.pop("request_id", None)
        return "error", (error.status_code, body)
