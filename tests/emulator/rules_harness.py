"""Send a rule's ``bad``/``good`` example to the emulator through a real client per surface.

boto3 for bedrock-runtime (``invoke_model``, ``invoke_model_with_response_stream``,
``converse``, ``converse_stream``, ``count_tokens``), the official ``anthropic`` SDK for
the two Messages API surfaces (``AnthropicBedrockMantle`` on mantle, a plain ``Anthropic``
client with a Bedrock API key on the runtime's ``/anthropic/v1/messages``). Answers come
back as an :class:`Outcome`, so a table-driven test compares them to the table's quotes.

Bad examples go through a boto3 client with botocore's parameter validation off
(``Config(parameter_validation=False)``): boto3 still serialises and signs them, so the
server, not botocore, has to refuse an empty union or a too-short list, as Bedrock does for
clients that do not validate (the AWS SDKs for other languages, raw HTTP). Good examples go
through the validating client, so they are also proven acceptable to boto3 itself.

Big bodies the table writes as placeholders (``"<101-page PDF>"``, ``"<base64 of a 1 MB
PNG>"``, ``"<a 4 MB PNG>"``: MB here is 10^6 bytes, exactly; ``"<21 image blocks + 1 text
block>"``) are built here by pypdf and Pillow, not by the code under test.
"""

from __future__ import annotations

import base64
import inspect
import io
import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import anthropic
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from claude_bedrock.catalog import Catalog
from claude_bedrock.emulator import Emulator

REGION: Final = "us-east-1"
#: The API version every Claude model on Bedrock accepts (2026-10-21 only from Opus 4.7 on).
_VERSION: Final = {"anthropic-version": "2023-06-01"}
_SCOPES: Final = ("global.", "us.", "eu.", "jp.", "au.", "apac.", "in.", "us-gov.")


@dataclass(frozen=True)
class Outcome:
    """``ok`` or the error: HTTP status, error type (x-amzn-ErrorType / envelope), message."""

    ok: bool
    status: int = 200
    type: str = ""
    message: str = ""


def base_id(model: str) -> str:
    """``us.anthropic.x`` -> ``anthropic.x`` (CountTokens and mantle take the base ID)."""
    for scope in _SCOPES:
        if model.startswith(scope):
            return model[len(scope) :]
    return model


def mantle_id(model: str) -> str:
    """The ID bedrock-mantle knows the model by (the catalogue's ``mantle_id``)."""
    info = Catalog.default().identify(base_id(model))
    return (info.mantle_id if info else None) or base_id(model)


def profile_id(model: str) -> str:
    """A profile form of ``model`` the catalogue lists (the runtime's Messages API wants one)."""
    base = base_id(model)
    if base != model:
        return model
    info = Catalog.default().identify(base)
    scope = "us" if info is None or "us" in info.scopes else sorted(info.scopes)[0]
    return f"{scope}.{base}"


def served_on(model: str, surface: str) -> bool:
    """Whether the catalogue serves the example's model on ``surface`` (else: untestable)."""
    info = Catalog.default().identify(base_id(model))
    if info is None:
        return False
    family = {"invoke-stream": "invoke", "converse-stream": "converse"}.get(surface, surface)
    return family in info.surfaces


def example_body(example: dict[str, Any], surface: str) -> dict[str, Any] | None:
    """The example's request for ``surface`` (None: the example has no such form)."""
    if surface in ("converse", "converse-stream"):
        return example.get("converse")
    if surface in ("mantle", "runtime-messages"):
        if "messages" in example:
            return dict(example["messages"])
        invoke = example.get("invoke")
        if invoke is None:
            return None
        return {k: v for k, v in invoke.items() if k not in ("anthropic_version", "anthropic_beta")}
    if surface == "count-tokens" and "count_tokens" in example:
        return dict(example["count_tokens"])
    return example.get("invoke") or (
        {"converse": example["converse"]}
        if surface == "count-tokens" and "converse" in example
        else None
    )


_PDF_PLACEHOLDER: Final = re.compile(r"<(?:(\d+)-page|a valid) PDF>")
_PNG_PLACEHOLDER: Final = re.compile(r"<base64 of a (\d+) MB PNG(?:: .*)?>")
_RAW_PNG_PLACEHOLDER: Final = re.compile(r"<a (\d+) MB PNG>")
_LONG_TEXT_PLACEHOLDER: Final = re.compile(r"<text of more than (\d+) tokens>")
_PADDED_PLACEHOLDER: Final = re.compile(r"<a valid body padded to ([\d,]+) bytes>")
_BLOCKS_PLACEHOLDER: Final = re.compile(
    r"<(\d+) (image|document) blocks(?: \(.*\))? \+ 1 text block>"
)


def pdf_of(pages: int) -> bytes:
    """A valid PDF of ``pages`` blank Letter pages, written by pypdf (not by our code)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@lru_cache(maxsize=8)
def png_of(size: int) -> bytes:
    """A valid PNG of exactly ``size`` bytes (or the smallest one Pillow writes, for a small
    ``size``), written by Pillow: seeded random RGB pixels, which PNG cannot compress, filling
    about 90%, and a ``tEXt`` comment chunk (12 bytes of framing, key, NUL, text) the rest."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    side = max(1, int((size * 0.9 / 3) ** 0.5))
    image = Image.frombytes("RGB", (side, side), random.Random(size).randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    filler = size - len(out.getvalue()) - len("tEXt") - 8 - len("Comment") - 1
    if filler <= 0:
        return out.getvalue()
    info = PngInfo()
    info.add_text("Comment", "x" * filler)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1, pnginfo=info)
    assert len(out.getvalue()) == size
    return out.getvalue()


def _blocks(count: int, kind: str) -> list[dict[str, Any]]:
    """``count`` Converse image or document blocks plus one text block (boto3 encodes the
    ``bytes``)."""
    if kind == "image":
        blocks = [{"image": {"format": "png", "source": {"bytes": png_of(0)}}}] * count
    else:
        blocks = [
            {"document": {"format": "txt", "name": f"d{i + 1}", "source": {"bytes": b"text"}}}
            for i in range(count)
        ]
    return [*blocks, {"text": "Describe"}]


def build_placeholders(value: Any) -> Any:
    """``value`` with the table's placeholder strings (``"<101-page PDF>"``, ``"<a valid
    PDF>"``, ``"<base64 of a 4 MB PNG: ...>"``, ``"<21 image blocks + 1 text block>"``)
    replaced by what they describe; other placeholders stay, so the caller can tell the
    example is still unbuildable."""
    if isinstance(value, dict):
        return {k: build_placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [build_placeholders(v) for v in value]
    if isinstance(value, str):
        if match := _PDF_PLACEHOLDER.fullmatch(value):
            return base64.b64encode(pdf_of(int(match.group(1) or 1))).decode()
        if match := _PNG_PLACEHOLDER.fullmatch(value):
            return base64.b64encode(png_of(int(match.group(1)) * 1_000_000)).decode()
        if match := _RAW_PNG_PLACEHOLDER.fullmatch(value):  # Converse bytes (boto3 encodes)
            return png_of(int(match.group(1)) * 1_000_000)
        if match := _LONG_TEXT_PLACEHOLDER.fullmatch(value):  # a word is a token or more
            return "word " * (int(match.group(1)) * 3 // 2)
        if match := _BLOCKS_PLACEHOLDER.fullmatch(value):
            return _blocks(int(match.group(1)), match.group(2))
        if match := _PADDED_PLACEHOLDER.fullmatch(value):  # a whole InvokeModel body, raw
            return padded_body(int(match.group(1).replace(",", "")))
    return value


def padded_body(size: int) -> bytes:
    """A valid InvokeModel body of exactly ``size`` bytes: a small request whose JSON is
    padded with whitespace (cheap to build, and to parse and count on the other side)."""
    small = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 16,
                        "messages": [{"role": "user", "content": "Hello"}]}).encode()  # fmt: skip
    return b"{" + b" " * (size - len(small)) + small[1:]


def still_placeholder(value: Any) -> bool:
    """Whether a built body still holds a placeholder (a string ``"<...>"``)."""
    if isinstance(value, dict):
        return any(still_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(still_placeholder(v) for v in value)
    return isinstance(value, str) and value.startswith("<") and value.endswith(">")


class Surfaces:
    """The clients, built once per emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.runtime = self._boto3(validate=True)
        self.unchecked = self._boto3(validate=False)
        # An explicit timeout: the SDK otherwise refuses a large non-streaming max_tokens
        # itself ("Streaming is required..."), before the server sees the request.
        self.mantle = anthropic.AnthropicBedrockMantle(
            aws_region=REGION,
            base_url=emulator.url + "/anthropic",
            max_retries=0,
            timeout=60,
            default_headers=_VERSION,
            aws_access_key=emulator.access_key,
            aws_secret_key=emulator.secret_key,
        )
        # The runtime's host name: on loopback the emulator would otherwise tell the two
        # Messages APIs apart by the model ID's form, and a bare ID would go to mantle.
        self.plain = anthropic.Anthropic(
            base_url=emulator.url + "/anthropic",
            api_key=emulator.api_key,
            max_retries=0,
            timeout=60,
            default_headers={**_VERSION, "Host": f"bedrock-runtime.{REGION}.amazonaws.com"},
        )

    def _boto3(self, *, validate: bool) -> Any:
        config = Config(
            retries={"max_attempts": 1, "mode": "standard"},
            parameter_validation=validate,
            read_timeout=60,
        )
        return boto3.client(
            "bedrock-runtime",
            endpoint_url=self.emulator.url,
            aws_access_key_id=self.emulator.access_key,
            aws_secret_access_key=self.emulator.secret_key,
            region_name=REGION,
            config=config,
        )

    def close(self) -> None:
        self.runtime.close()
        self.unchecked.close()
        self.mantle.close()
        self.plain.close()

    def send(self, surface: str, model: str, body: dict[str, Any], **how: Any) -> Outcome:
        """Send ``body`` on ``surface``; the answer as an :class:`Outcome`. ``how``: see
        :meth:`_send`."""
        try:
            self._send(surface, model, body, **how)
        except ClientError as exc:
            meta = exc.response["ResponseMetadata"]
            error = exc.response["Error"]
            return Outcome(False, meta["HTTPStatusCode"], error["Code"], error["Message"])
        except anthropic.APIStatusError as exc:
            detail = exc.body.get("error") if isinstance(exc.body, dict) else None
            if isinstance(detail, dict):
                kind, message = detail.get("type", ""), detail.get("message", "")
            else:  # an AWS front-door answer: x-amzn-ErrorType and {"message": ...}
                kind = exc.response.headers.get("x-amzn-errortype", "").split(":")[0]
                message = exc.body.get("message", "") if isinstance(exc.body, dict) else ""
            return Outcome(False, exc.status_code, kind, message)
        return Outcome(True)

    def _send(
        self,
        surface: str,
        model: str,
        body: dict[str, Any],
        *,
        checked: bool = True,
        model_as_is: bool = False,
        headers: dict[str, str] | None = None,
        path: str | None = None,
    ) -> None:
        """``checked``: through the boto3 client that validates parameters (else the one that
        does not); ``model_as_is``: send the model ID as the example writes it (else a form
        the catalogue serves on ``surface``); ``headers``: the Messages API headers, exactly
        (``anthropic-version`` left out when they lack it); ``path``: the Messages API path."""
        runtime = self.runtime if checked else self.unchecked
        if surface != "count-tokens" and not model_as_is:
            model = profile_id(model)  # bare IDs are refused for profile-only models
        if surface == "invoke":
            runtime.invoke_model(modelId=model, body=_raw(body))["body"].read()
        elif surface == "invoke-stream":
            answer = runtime.invoke_model_with_response_stream(modelId=model, body=_raw(body))
            list(answer["body"])
        elif surface == "converse":
            runtime.converse(modelId=model, **body)
        elif surface == "converse-stream":
            list(runtime.converse_stream(modelId=model, **body)["stream"])
        elif surface == "count-tokens":
            if "input" in body:
                member: dict[str, Any] = body["input"]
            elif "converse" in body:
                member = {"converse": body["converse"]}
            else:
                member = {"invokeModel": {"body": json.dumps(body).encode()}}
            runtime.count_tokens(modelId=model if model_as_is else base_id(model), input=member)
        elif surface in ("mantle", "runtime-messages"):
            client = self.mantle if surface == "mantle" else self.plain
            model = body.get("model") or model
            if not model_as_is:  # the form this surface serves the example's model by
                model = mantle_id(model) if surface == "mantle" else profile_id(model)
            kwargs = _sdk_kwargs({**body, "model": model})
            if headers is not None:
                omitted = {k: anthropic.omit for k in _VERSION if k not in headers}
                kwargs["extra_headers"] = {**omitted, **headers}
            if path is not None and path.endswith("/count_tokens"):
                kwargs.pop("max_tokens", None)
                client.messages.count_tokens(**kwargs)
            else:
                client.messages.create(**kwargs)
        else:
            raise ValueError(surface)


def _raw(body: dict[str, Any] | bytes) -> str | bytes:
    """An InvokeModel body: JSON, or bytes sent as they are (a padded body)."""
    return body if isinstance(body, bytes) else json.dumps(body)


_SDK_PARAMS: Final = frozenset(inspect.signature(anthropic.Anthropic().messages.create).parameters)


def _sdk_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """The SDK's keyword arguments; fields its signature lacks (SDK 2.16 dropped the sampling
    parameters with API version 2026-10-21) go in ``extra_body``, as a user would send them."""
    known = {k: v for k, v in body.items() if k in _SDK_PARAMS}
    extra = {k: v for k, v in body.items() if k not in _SDK_PARAMS}
    return {**known, "extra_body": extra} if extra else known
