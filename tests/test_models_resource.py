"""``client.models``: resolve (catalogue only), list and retrieve (catalogue + control plane).

Online tests run against the emulator (SigV4-checked, one Region per geography); the
cases the emulator cannot produce - Bedrock listing a model the catalogue does not know,
or not listing a profile the catalogue offers - use a small scripted control plane on
loopback. Offline calls are proven request-free by pointing the client at a closed port.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock._exceptions import (
    APIConnectionError,
    BadRequestError,
    InvalidModelError,
    LegacyModelWarning,
    ModelNotAvailableError,
    NotFoundError,
)
from claude_bedrock.catalog import Catalog
from claude_bedrock.catalog._catalog import _reset_deprecation_warnings
from claude_bedrock.emulator import Emulator
from claude_bedrock.types.models import ModelEntry
from emulator.test_model_scopes import REGION_GEOGRAPHIES, SCOPES, SPEC_TABLE

OPUS_46 = "anthropic.claude-opus-4-6-v1"
OPUS_41 = "anthropic.claude-opus-4-1-20250805-v1:0"
SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
SPEC_SCOPES = {base: offered for _, base, offered in SPEC_TABLE}


def _client(emulator: Emulator, region: str, **kwargs: Any) -> AnthropicBedrock:
    return AnthropicBedrock(
        aws_region=region,
        aws_access_key=emulator.access_key,
        aws_secret_key=emulator.secret_key,
        base_url=emulator.url,
        max_retries=0,
        **kwargs,
    )


def _closed_port() -> str:
    """A loopback URL nobody listens on: any request to it fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def region_clients(bedrock_emulator: Emulator) -> Iterator[dict[str, AnthropicBedrock]]:
    clients = {region: _client(bedrock_emulator, region) for region in REGION_GEOGRAPHIES}
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture
def dead_client() -> Iterator[AnthropicBedrock]:
    client = AnthropicBedrock(
        aws_region="eu-west-1", aws_access_key="AKIDEXAMPLE", aws_secret_key="secret",
        base_url=_closed_port(), max_retries=0,
    )  # fmt: skip
    yield client
    client.close()


# -- resolve --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "endpoint", "expected"),
    [
        ("us-west-2", "global", f"global.{OPUS_46}"),
        ("us-west-2", "regional", f"us.{OPUS_46}"),
        ("eu-west-1", "regional", f"eu.{OPUS_46}"),
        ("ap-northeast-1", "regional", f"jp.{OPUS_46}"),
        ("ap-southeast-2", "regional", f"au.{OPUS_46}"),  # Sydney prefers au. to apac.
    ],
)
def test_resolve_alias_per_endpoint(region: str, endpoint: Any, expected: str) -> None:
    client = AnthropicBedrock(aws_region=region, base_url=_closed_port())
    resolved = client.models.resolve("opus-4.6", endpoint=endpoint)
    assert resolved.model_id == expected
    assert resolved.endpoint_type == endpoint
    assert resolved.info is not None and resolved.info.name == "Claude Opus 4.6"


def test_resolve_sends_nothing_and_explains_refusals(dead_client: AnthropicBedrock) -> None:
    assert dead_client.models.resolve("opus-4.6").model_id == f"global.{OPUS_46}"
    with pytest.raises(ModelNotAvailableError) as excinfo:
        dead_client.models.resolve(OPUS_41, endpoint="regional")
    assert excinfo.value.offered_in == ["us"]
    assert "us.anthropic.claude-opus-4-1" in str(excinfo.value)
    with pytest.raises(InvalidModelError):  # not a model ID (unknown IDs pass: open world)
        dead_client.models.resolve("opus 9!")


# -- list, offline --------------------------------------------------------------------------


def test_offline_list_is_the_catalogue_without_requests(dead_client: AnthropicBedrock) -> None:
    entries = [e for e in dead_client.models.list(offline=True) if e.id in SPEC_SCOPES]
    assert [e.id for e in entries] == [base for _, base, _ in SPEC_TABLE]
    for entry in entries:
        assert entry.in_catalog and entry.region == "eu-west-1"
        assert entry.listed is None and entry.reported_scopes is None
        assert entry.lifecycle_status is None
        assert entry.offered_scopes == [s for s in SCOPES if s in SPEC_SCOPES[entry.id]]
    with pytest.raises(APIConnectionError):
        dead_client.models.list()


@pytest.mark.parametrize(
    ("base", "scope", "offered"),
    [(base, scope, scope in offered) for _, base, offered in SPEC_TABLE for scope in SCOPES],
)
def test_every_model_scope_pair_in_entries(
    dead_client: AnthropicBedrock, base: str, scope: str, offered: bool
) -> None:
    entry = next(e for e in dead_client.models.list(offline=True) if e.id == base)
    status = entry.scope(scope)
    assert status is not None and status.offered is offered
    assert status.profile_id == f"{scope}.{base}"
    assert status.reachable is (scope in ("global", "eu"))


def test_prices_global_and_regional(dead_client: AnthropicBedrock) -> None:
    by_id = {e.id: e for e in dead_client.models.list(offline=True)}
    opus = by_id[OPUS_46]
    assert opus.pricing_global is not None and opus.pricing_regional is not None
    assert (opus.pricing_global.input, opus.pricing_global.output) == (5.0, 25.0)
    # Regional endpoints cost 10% more for Sonnet 4.5 and later: 5 * 1.1, 25 * 1.1.
    assert (opus.pricing_regional.input, opus.pricing_regional.output) == (5.5, 27.5)
    # Sonnet 4 and older keep one price.
    sonnet4 = by_id[SONNET_4]
    assert sonnet4.pricing_global == sonnet4.pricing_regional
    assert by_id[HAIKU_3].pricing_global is None  # no global endpoint
    assert by_id[HAIKU_3].pricing_regional is not None


def test_context_and_deprecation(dead_client: AnthropicBedrock) -> None:
    by_id = {e.id: e for e in dead_client.models.list(offline=True)}
    # The 1M beta retired on 2026-04-30: no model needs it; 1M is native where offered.
    assert not {b for b, e in by_id.items() if e.context_1m_tokens}
    assert by_id[OPUS_46].context_window == 1_000_000
    assert by_id["anthropic.claude-sonnet-4-5-20250929-v1:0"].context_window == 200_000
    deprecated = {b for b, e in by_id.items() if e.deprecated}  # Legacy or end of life
    assert deprecated == {
        OPUS_41,
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        SONNET_4,
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "anthropic.claude-opus-4-20250514-v1:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        HAIKU_3,
    }
    assert all(by_id[b].successor in by_id for b in deprecated)


def test_listing_does_not_warn(dead_client: AnthropicBedrock) -> None:
    """Listing Legacy models is not using them: no LegacyModelWarning (resolving is)."""
    _reset_deprecation_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dead_client.models.list(offline=True)
        assert not [w for w in caught if issubclass(w.category, LegacyModelWarning)]
        dead_client.models.resolve("anthropic.claude-sonnet-4-5-20250929-v1:0")
        assert [w for w in caught if issubclass(w.category, LegacyModelWarning)]


# -- list, online ---------------------------------------------------------------------------


def _reachable(region: str) -> set[str]:
    if region.startswith("us-gov-"):  # GovCloud calls no global profiles
        return set(REGION_GEOGRAPHIES[region])
    return {"global", *REGION_GEOGRAPHIES[region]}


@pytest.mark.parametrize("region", sorted(REGION_GEOGRAPHIES))
def test_online_list_merges_bedrock_answers(
    region_clients: dict[str, AnthropicBedrock], region: str
) -> None:
    entries = [e for e in region_clients[region].models.list() if e.id in SPEC_SCOPES]
    assert [e.id for e in entries] == [base for _, base, _ in SPEC_TABLE]
    for entry in entries:
        reachable = set(SPEC_SCOPES[entry.id]) & _reachable(region)
        assert entry.listed is bool(reachable)
        assert set(entry.reported_scopes or []) == reachable
        for status in entry.scopes:
            assert status.reported is (
                (status.scope in reachable) if status.scope in _reachable(region) else None
            )
        if entry.listed:
            assert entry.lifecycle_status == ("LEGACY" if entry.deprecated else "ACTIVE")
            assert entry.model_arn == f"arn:aws:bedrock:{region}::foundation-model/{entry.id}"
        assert (entry.recommended_id is None) is (not reachable)


@pytest.mark.parametrize("region", sorted(REGION_GEOGRAPHIES))
def test_recommended_ids_work(region_clients: dict[str, AnthropicBedrock], region: str) -> None:
    """The "ID to use" of every reachable model is accepted by Bedrock from that Region."""
    client = region_clients[region]
    for entry in client.models.list():
        if entry.recommended_id is None:
            continue
        with warnings.catch_warnings():  # deprecated models warn: not the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            message = client.messages.create(
                model=entry.recommended_id,
                max_tokens=8,
                messages=[{"role": "user", "content": "hi"}],
            )
        assert message.type == "message"


def test_recommended_follows_the_clients_endpoint(bedrock_emulator: Emulator) -> None:
    with _client(bedrock_emulator, "eu-west-1", endpoint="regional") as client:
        entry = client.models.retrieve(OPUS_46)
    assert entry.recommended_id == f"eu.{OPUS_46}"


# -- retrieve -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "opus-4.6",
        OPUS_46,
        f"eu.{OPUS_46}",
        f"global.{OPUS_46}",
        f"arn:aws:bedrock:eu-west-1::foundation-model/{OPUS_46}",
        f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{OPUS_46}",
    ],
)
def test_retrieve_accepts_every_form(
    region_clients: dict[str, AnthropicBedrock], name: str
) -> None:
    entry = region_clients["eu-west-1"].models.retrieve(name)
    assert entry.id == OPUS_46 and entry.listed is True
    assert entry.reported_scopes == ["global", "eu"]
    assert entry.model_arn == f"arn:aws:bedrock:eu-west-1::foundation-model/{OPUS_46}"


def test_retrieve_a_model_bedrock_does_not_have_here(
    region_clients: dict[str, AnthropicBedrock],
) -> None:
    entry = region_clients["eu-west-1"].models.retrieve(OPUS_41)
    assert entry.in_catalog and entry.listed is False and entry.recommended_id is None
    assert entry.offered_scopes == ["us"] and entry.reported_scopes == []


def test_retrieve_unknown_models(
    region_clients: dict[str, AnthropicBedrock], dead_client: AnthropicBedrock
) -> None:
    client = region_clients["us-east-1"]
    with pytest.raises(NotFoundError):
        client.models.retrieve("anthropic.claude-opus-9-v1:0")
    with pytest.raises(BadRequestError):
        client.models.retrieve("opus-9")
    with pytest.raises(InvalidModelError):
        dead_client.models.retrieve("opus-9", offline=True)
    assert dead_client.models.retrieve("haiku-3", offline=True).id == HAIKU_3
    arn = f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{HAIKU_3}"
    assert dead_client.models.retrieve(arn, offline=True).id == HAIKU_3


# -- async ----------------------------------------------------------------------------------


def test_async_list_retrieve_resolve(bedrock_emulator: Emulator) -> None:
    async def run() -> tuple[list[ModelEntry], ModelEntry, str, list[ModelEntry]]:
        async with AsyncAnthropicBedrock(
            aws_region="ap-northeast-1", aws_access_key=bedrock_emulator.access_key,
            aws_secret_key=bedrock_emulator.secret_key, base_url=bedrock_emulator.url,
        ) as client:  # fmt: skip
            listed = await client.models.list()
            one = await client.models.retrieve(f"jp.{OPUS_46}")
            resolved = client.models.resolve("opus-4.6", endpoint="regional").model_id
            offline = await client.models.list(offline=True)
        return listed, one, resolved, offline

    listed, one, resolved, offline = asyncio.run(run())
    with _client(bedrock_emulator, "ap-northeast-1") as sync:
        assert [e.to_dict() for e in listed] == [e.to_dict() for e in sync.models.list()]
    assert one.reported_scopes == ["global", "jp", "apac"]
    assert resolved == f"jp.{OPUS_46}"
    assert all(e.listed is None for e in offline)


# -- what the emulator cannot show: a scripted control plane ------------------------------


class _Scripted(BaseHTTPRequestHandler):
    """Bedrock answers that differ from the catalogue, paged two profiles at a time."""

    summaries: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    log: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.log.append(self.path)
        if url.path == "/foundation-models":
            self._json({"modelSummaries": self.summaries})
        elif url.path == "/inference-profiles":
            start = int(query.get("nextToken", "0"))
            page: dict[str, Any] = {"inferenceProfileSummaries": self.profiles[start : start + 2]}
            if start + 2 < len(self.profiles):
                page["nextToken"] = str(start + 2)
            self._json(page)
        elif url.path.startswith("/foundation-models/"):
            wanted = unquote(url.path.rsplit("/", 1)[1])
            found = [s for s in self.summaries if s["modelId"] == wanted]
            if found:
                self._json({"modelDetails": found[0]})
            else:
                self._json({"message": "not found"}, 404, "ResourceNotFoundException")
        else:
            self._json({"message": "no"}, 404, "UnknownOperationException")

    def _json(self, data: Any, status: int = 200, error: str | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        if error:
            self.send_header("x-amzn-errortype", error)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


FUTURE = "anthropic.claude-future-5-v1:0"


@pytest.fixture
def scripted() -> Iterator[type[_Scripted]]:
    catalog = Catalog.default()
    summaries = catalog.foundation_models("us-east-1")
    summaries = [s for s in summaries if s["modelId"] != HAIKU_45]  # not enabled here
    summaries.append({**summaries[0], "modelId": FUTURE, "modelName": "Claude Future 5",
                      "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{FUTURE}",
                      "modelLifecycle": {"status": "ACTIVE"}})  # fmt: skip
    profiles = [
        p
        for p in catalog.inference_profiles("us-east-1")
        if p["inferenceProfileId"] != f"global.{OPUS_46}"  # withdrawn here
    ]
    future_arn = f"arn:aws:bedrock:us-east-1::foundation-model/{FUTURE}"
    for scope in ("global", "us", "au"):
        profiles.append({**profiles[0], "inferenceProfileId": f"{scope}.{FUTURE}",
                         "models": [{"modelArn": future_arn}]})  # fmt: skip
    profiles.append({**profiles[0], "inferenceProfileId": "us.amazon.nova-pro-v1:0",
                     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/"
                                             "amazon.nova-pro-v1:0"}]})  # fmt: skip
    handler = type("Handler", (_Scripted,), {"summaries": summaries, "profiles": profiles,
                                             "log": []})  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def _scripted_client(handler: type[_Scripted]) -> AnthropicBedrock:
    return AnthropicBedrock(
        aws_region="us-east-1", aws_access_key="AKIDEXAMPLE", aws_secret_key="secret",
        base_url=_closed_port(), control_plane_url=handler.url,  # type: ignore[attr-defined]
        max_retries=0,
    )  # fmt: skip


def test_models_only_bedrock_knows_are_flagged(scripted: type[_Scripted]) -> None:
    with _scripted_client(scripted) as client:
        entries = client.models.list()
    known = len(Catalog.default().models())
    assert [e.id for e in entries][-1] == FUTURE and len(entries) == known + 1
    future = entries[-1]
    assert not future.in_catalog and future.name == "Claude Future 5" and future.listed
    assert [s.scope for s in future.scopes] == ["global", "us", "au"]
    assert all(s.reported and not s.offered for s in future.scopes)
    assert future.recommended_id == f"global.{FUTURE}"
    assert future.pricing_global is None and future.context_window is None
    assert "amazon.nova-pro-v1:0" not in {e.id for e in entries}  # other providers: out


def test_catalogue_and_bedrock_disagreeing(scripted: type[_Scripted]) -> None:
    with _scripted_client(scripted) as client:
        by_id = {e.id: e for e in client.models.list()}
    haiku = by_id[HAIKU_45]
    assert haiku.listed is False
    assert haiku.offered_scopes == ["global", "us", "eu", "jp", "au", "in"]
    opus = by_id[OPUS_46]
    global_scope = opus.scope("global")
    assert global_scope is not None and global_scope.offered and global_scope.reported is False
    # The catalogue prefers global, but Bedrock does not list it here: the US profile wins.
    assert opus.recommended_id == f"us.{OPUS_46}"


def test_profiles_are_read_across_pages(scripted: type[_Scripted]) -> None:
    with _scripted_client(scripted) as client:
        client.models.list()
    pages = [p for p in scripted.log if p.startswith("/inference-profiles")]
    expected_pages = -(-len(scripted.profiles) // 2)
    assert len(pages) == expected_pages > 1
    assert all("type=SYSTEM_DEFINED" in p and "maxResults=1000" in p for p in pages)
    assert "nextToken=2" in pages[1]
    assert scripted.log[0] == "/foundation-models?byProvider=anthropic"


def test_retrieve_a_model_only_bedrock_knows(scripted: type[_Scripted]) -> None:
    with _scripted_client(scripted) as client:
        entry = client.models.retrieve(f"us.{FUTURE}")
    assert entry.id == FUTURE and not entry.in_catalog and entry.listed
    assert entry.reported_scopes == ["global", "us", "au"]
