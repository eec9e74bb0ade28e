"""An account whose model lists differ from the bundled catalogue, on the real emulator.

Bedrock's control plane answers per account and Region: a model in public extended
access still listed after the catalogue's end-of-life date, a profile not (or not yet)
offered, a model the catalogue does not know. The emulator answers from the catalogue, so
this extension edits its answers as that account would see them (an emulator middleware:
the requests still go through the emulator's routing, SigV4 checks and paging), and can
serve bedrock-mantle's ``GET /v1/models`` in the OpenAI list shape. It counts the control
plane requests it sees, so a test can prove that a step sent none.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.app import EmulatorApp
from claude_bedrock.emulator.http_types import AnyResponse, Request, Response
from claude_bedrock.emulator.routing import Handler

ACCOUNT = "123456789012"


@dataclass
class Account:
    """Edits to the emulator's control-plane answers (reset between tests)."""

    drop_profiles: set[str] = field(default_factory=set)
    drop_models: set[str] = field(default_factory=set)
    extra_summaries: list[dict[str, Any]] = field(default_factory=list)
    extra_profiles: list[dict[str, Any]] = field(default_factory=list)
    #: Model IDs ``GET /v1/models`` lists; None: the route answers 404 as for a host
    #: without it.
    mantle: list[str] | None = None
    calls: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.drop_profiles.clear()
        self.drop_models.clear()
        self.extra_summaries.clear()
        self.extra_profiles.clear()
        self.mantle = None
        self.calls.clear()

    def register(self, app: EmulatorApp) -> None:
        app.add_middleware(self._edit)
        app.add_route("GET", "/v1/models", self._mantle_models, operation="ListModels")

    async def _edit(self, request: Request, call_next: Handler) -> AnyResponse:
        self.calls[request.operation or "?"] += 1  # before: an error answer raises
        response = await call_next(request)
        if not isinstance(response, Response) or response.status != 200:
            return response
        if request.operation == "ListFoundationModels":
            body = json.loads(response.body)
            kept = [s for s in body["modelSummaries"] if s["modelId"] not in self.drop_models]
            return Response.json({"modelSummaries": kept + self.extra_summaries})
        if request.operation == "ListInferenceProfiles" and request.query_value("type") != (
            "APPLICATION"
        ):
            body = json.loads(response.body)
            kept = [
                p
                for p in body["inferenceProfileSummaries"]
                if p["inferenceProfileId"] not in self.drop_profiles
                and p["inferenceProfileId"].partition(".")[2] not in self.drop_models
            ]
            last_page = "nextToken" not in body
            body["inferenceProfileSummaries"] = kept + (self.extra_profiles if last_page else [])
            return Response.json(body)
        return response

    async def _mantle_models(self, request: Request) -> AnyResponse:
        if self.mantle is None:
            return Response.json({"message": "not here"}, status=404)
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "anthropic"}
                for m in self.mantle]  # fmt: skip
        return Response.json({"object": "list", "data": data})


def summary(model_id: str, region: str, status: str = "ACTIVE", **lifecycle: str) -> dict[str, Any]:
    """A ListFoundationModels entry as Bedrock writes one (botocore's FoundationModelSummary)."""
    return {
        "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": model_id.removeprefix("anthropic.claude-").title(),
        "providerName": "Anthropic",
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": ["INFERENCE_PROFILE"],
        "modelLifecycle": {"status": status, **lifecycle},
    }


def profile(scope: str, model_id: str, region: str) -> dict[str, Any]:
    """A system-defined ListInferenceProfiles entry (botocore's InferenceProfileSummary)."""
    profile_id = f"{scope}.{model_id}"
    return {
        "inferenceProfileName": f"{scope.upper()} {model_id}",
        "description": f"Routes requests to {model_id}.",
        "createdAt": "2026-11-01T00:00:00Z",
        "updatedAt": "2026-11-01T00:00:00Z",
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile_id}",
        "models": [{"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}"}],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def account_emulator(account: Account) -> Iterator[Emulator]:
    """An in-process emulator whose control plane answers as ``account``."""
    with Emulator(extensions=[account.register]) as emulator:
        yield emulator
