"""Send a rule's ``bad``/``good`` example to the emulator through a real client per surface.

boto3 for bedrock-runtime (``invoke_model``, ``invoke_model_with_response_stream``,
``converse``, ``converse_stream``, ``count_tokens``), the official ``anthropic`` SDK for
the two Messages API surfaces (``AnthropicBedrockMantle`` on mantle, a plain ``Anthropic``
client with a Bedrock API key on the runtime's ``/anthropic/v1/messages``). Answers come
back as an :class:`Outcome`, so a table-driven test compares them to the table's quotes.
"""

from __future__ import annotations

import base64
import inspect
import io
import json
import re
from dataclasses import dataclass
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


def pdf_of(pages: int) -> bytes:
    """A valid PDF of ``pages`` blank Letter pages, written by pypdf (not by our code)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_placeholders(value: Any) -> Any:
    """``value`` with the table's placeholder strings (``"<101-page PDF>"``, ``"<a valid
    PDF>"``) replaced by the base64 data they describe; other placeholders stay, so the
    caller can tell the example is still unbuildable."""
    if isinstance(value, dict):
        return {k: build_placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [build_placeholders(v) for v in value]
    if isinstance(value, str):
        match = _PDF_PLACEHOLDER.fullmatch(value)
        if match:
            return base64.b64encode(pdf_of(int(match.group(1) or 1))).decode()
    return value


class Surfaces:
    """The clients, built once per emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.runtime = boto3.client(
            "bedrock-runtime",
            endpoint_url=emulator.url,
            aws_access_key_id=emulator.access_key,
            aws_secret_access_key=emulator.secret_key,
            region_name=REGION,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        self.mantle = anthropic.AnthropicBedrockMantle(
            aws_region=REGION,
            base_url=emulator.url + "/anthropic",
            max_retries=0,
            default_headers=_VERSION,
            aws_access_key=emulator.access_key,
            aws_secret_key=emulator.secret_key,
        )
        self.plain = anthropic.Anthropic(
            base_url=emulator.url + "/anthropic",
            api_key=emulator.api_key,
            max_retries=0,
            default_headers=_VERSION,
        )

    def close(self) -> None:
        self.runtime.close()
        self.mantle.close()
        self.plain.close()

    def send(self, surface: str, model: str, body: dict[str, Any]) -> Outcome:
        """Send ``body`` on ``surface``; the answer as an :class:`Outcome`."""
        try:
            self._send(surface, model, body)
        except ClientError as exc:
            meta = exc.response["ResponseMetadata"]
            error = exc.response["Error"]
            return Outcome(False, meta["HTTPStatusCode"], error["Code"], error["Message"])
        except anthropic.APIStatusError as exc:
            detail = exc.body["error"] if isinstance(exc.body, dict) else {}
            return Outcome(
                False, exc.status_code, detail.get("type", ""), detail.get("message", "")
            )
        return Outcome(True)

    def _send(self, surface: str, model: str, body: dict[str, Any]) -> None:
        runtime = self.runtime
        if surface != "count-tokens":
            model = profile_id(model)  # bare IDs are refused for profile-only models
        if surface == "invoke":
            runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read()
        elif surface == "invoke-stream":
            answer = runtime.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
            list(answer["body"])
        elif surface == "converse":
            runtime.converse(modelId=model, **body)
        elif surface == "converse-stream":
            list(runtime.converse_stream(modelId=model, **body)["stream"])
        elif surface == "count-tokens":
            if "converse" in body:
                member: dict[str, Any] = {"converse": body["converse"]}
            else:
                member = {"invokeModel": {"body": json.dumps(body).encode()}}
            runtime.count_tokens(modelId=base_id(model), input=member)
        elif surface == "mantle":
            self.mantle.messages.create(**_sdk_kwargs({"model": mantle_id(model), **body}))
        elif surface == "runtime-messages":
            self.plain.messages.create(**_sdk_kwargs({"model": profile_id(model), **body}))
        else:
            raise ValueError(surface)


_SDK_PARAMS: Final = frozenset(inspect.signature(anthropic.Anthropic().messages.create).parameters)


def _sdk_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """The SDK's keyword arguments; fields its signature lacks (SDK 2.16 dropped the sampling
    parameters with API version 2026-10-21) go in ``extra_body``, as a user would send them."""
    known = {k: v for k, v in body.items() if k in _SDK_PARAMS}
    extra = {k: v for k, v in body.items() if k not in _SDK_PARAMS}
    return {**known, "extra_body": extra} if extra else known
