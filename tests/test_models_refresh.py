"""``client.models.refresh()`` / ``use_cached()``: the account's live lists over the bundle.

Against the in-process emulator (SigV4-checked control plane), with an account whose lists
differ from the catalogue (:mod:`live_account`); the cache goes to a temporary directory
named by ``CLAUDE_BEDROCK_CACHE_DIR``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock
from claude_bedrock._exceptions import (
    APIStatusError,
    LegacyModelWarning,
    ModelEndOfLifeError,
    ModelNotAvailableError,
)
from claude_bedrock.catalog import Catalog
from claude_bedrock.emulator import Emulator
from live_account import Account, account_emulator, profile, summary

REGION = "us-east-1"
OPUS_46 = next(m.id for m in Catalog.default().models() if m.name == "Claude Opus 4.6")
HAIKU_45 = next(m.id for m in Catalog.default().models() if m.name == "Claude Haiku 4.5")
NEW = "anthropic.claude-opus-9"


@pytest.fixture(scope="module")
def account() -> Account:
    return Account()


@pytest.fixture(scope="module")
def emulator(account: Account) -> Iterator[Emulator]:
    yield from account_emulator(account)


@pytest.fixture(autouse=True)
def _fresh(account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    account.reset()
    cache = tmp_path / "cache"
    monkeypatch.setenv("CLAUDE_BEDROCK_CACHE_DIR", str(cache))
    return cache


def _client(emulator: Emulator, **kwargs: Any) -> AnthropicBedrock:
    options: dict[str, Any] = {
        "aws_region": REGION,
        "aws_access_key": emulator.access_key,
        "aws_secret_key": emulator.secret_key,
        "base_url": emulator.url,
        "max_retries": 0,
    }
    options.update(kwargs)
    return AnthropicBedrock(**options)


def test_refresh_writes_the_cache_and_changes_what_the_client_resolves(
    emulator: Emulator, account: Account, tmp_path: Path
) -> None:
    account.drop_profiles.add(f"global.{OPUS_46}")  # not offered to this account here
    with _client(emulator) as client:
        assert client.models.resolve(OPUS_46, endpoint="global").model_id == f"global.{OPUS_46}"
        assert client.models.live is None
        started = datetime.now(UTC)
        live = client.models.refresh()
        with pytest.raises(ModelNotAvailableError):
            client.models.resolve(OPUS_46, endpoint="global")
        assert client.models.resolve(OPUS_46).model_id == f"us.{OPUS_46}"
        assert client.models.live == live

    assert live.source == "bedrock" and live.region == REGION
    assert live.account is not None and len(live.account) == 12 and live.account.isdigit()
    assert started <= live.fetched_at <= datetime.now(UTC)
    assert f"us.{OPUS_46}" in live.profiles and f"global.{OPUS_46}" not in live.profiles
    path = tmp_path / "cache" / "models" / live.account / f"{REGION}.json"
    assert live.cache_path == str(path)
    document = json.loads(path.read_text())
    assert datetime.fromisoformat(document["fetched_at"]) == live.fetched_at
    assert document["account"] == live.account and document["region"] == REGION
    ids = [p["inferenceProfileId"] for p in document["inference_profiles"]]
    assert f"us.{OPUS_46}" in ids and f"global.{OPUS_46}" not in ids
    assert emulator.secret_key not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == [f"{REGION}.json"]  # no temporary left


def test_a_later_client_picks_the_cache_up_on_request_only(
    emulator: Emulator, account: Account
) -> None:
    account.drop_profiles.add(f"global.{OPUS_46}")
    with _client(emulator) as first:
        fetched = first.models.refresh()
    requests_before = sum(account.calls.values())
    with _client(emulator) as later:
        # Nothing is read behind the caller's back: a new client has the bundle...
        assert later.models.resolve(OPUS_46, endpoint="global").model_id == f"global.{OPUS_46}"
        cached = later.models.use_cached()
        assert cached is not None and cached.source == "cache"
        assert (cached.fetched_at, cached.account) == (fetched.fetched_at, fetched.account)
        with pytest.raises(ModelNotAvailableError):  # ...until it asks for the lists
            later.models.resolve(OPUS_46, endpoint="global")
        assert later.models.use_cached(max_age=0) is None  # too old for that caller
    assert sum(account.calls.values()) == requests_before  # use_cached sent nothing

    with _client(emulator, aws_access_key="AKIAOTHERIDENTITY00", aws_secret_key="x") as other:
        assert other.models.use_cached() is None  # another identity: not its account's file


def test_a_damaged_cache_file_is_ignored(emulator: Emulator, _fresh: Path) -> None:
    with _client(emulator) as client:
        live = client.models.refresh()
    assert live.cache_path is not None
    Path(live.cache_path).write_text("{ not json")
    with _client(emulator) as client:
        assert client.models.use_cached() is None
        assert client.models.live is None


def test_a_model_only_the_account_lists_is_known_and_unpriced(
    emulator: Emulator, account: Account
) -> None:
    account.extra_summaries.append(summary(NEW, REGION))
    account.extra_profiles += [profile("global", NEW, REGION), profile("us", NEW, REGION)]
    with _client(emulator) as client:
        client.models.refresh()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # known now: no unknown-model warning
            resolved = client.models.resolve(f"global.{NEW}")
        entries = {e.id: e for e in client.models.entries()}
    assert (resolved.model_id, resolved.info) == (f"global.{NEW}", None)  # cost: None
    entry = entries[NEW]
    assert not entry.in_catalog and not entry.priced and entry.listed
    assert entry.pricing_global is None and entry.context_window is None
    assert [s.scope for s in entry.scopes if s.reported] == ["global", "us"]


def test_a_model_the_account_is_not_offered_loses_its_scopes_here(
    emulator: Emulator, account: Account
) -> None:
    account.drop_models.add(HAIKU_45)
    with _client(emulator) as client:
        client.models.refresh()
        with pytest.raises(ModelNotAvailableError):
            client.models.resolve(HAIKU_45)
        # Other Regions keep the bundle's word: the lists cannot see them.
        assert "eu" in client._core.catalog.get(HAIKU_45).scopes


def test_list_reads_without_installing(emulator: Emulator, account: Account) -> None:
    account.drop_profiles.add(f"global.{OPUS_46}")
    with _client(emulator) as client:
        entries = {e.id: e for e in client.models.list()}
        assert client.models.live is None
        assert client.models.resolve(OPUS_46, endpoint="global").model_id == f"global.{OPUS_46}"
    opus = entries[OPUS_46]
    assert opus.recommended_id == f"us.{OPUS_46}"
    scope = opus.scope("global")
    assert scope is not None and scope.offered and scope.reported is False


def test_mantle_list_is_read_with_an_api_key(emulator: Emulator, account: Account) -> None:
    account.mantle = [HAIKU_45, "anthropic.claude-mantle-only"]
    with _client(emulator, aws_access_key=None, aws_secret_key=None,
                 api_key=emulator.api_key) as client:  # fmt: skip
        live = client.models.refresh()
        haiku = {e.id: e for e in client.models.entries()}[HAIKU_45]
    assert live.mantle_models == [HAIKU_45, "anthropic.claude-mantle-only"]
    assert "mantle" in haiku.surfaces and haiku.mantle_id is not None
    assert account.calls["ListModels"] == 1


def test_mantle_list_failing_is_skipped_and_noted(emulator: Emulator, account: Account) -> None:
    with _client(emulator, aws_access_key=None, aws_secret_key=None,
                 api_key=emulator.api_key) as client:  # fmt: skip
        live = client.models.refresh()  # /v1/models answers 404 here
    assert live.mantle_models is None
    assert any("bedrock-mantle" in note and "/v1/models" in note for note in live.notes)
    with _client(emulator) as client:  # SigV4 for 'bedrock': not even tried
        live = client.models.refresh()
    assert live.mantle_models is None and account.calls["ListModels"] == 1
    assert any("bedrock-mantle" in note for note in live.notes)


def test_async_refresh(emulator: Emulator, account: Account) -> None:
    account.drop_profiles.add(f"global.{OPUS_46}")

    async def run() -> tuple[str, str | None]:
        async with AsyncAnthropicBedrock(
            aws_region=REGION, aws_access_key=emulator.access_key,
            aws_secret_key=emulator.secret_key, base_url=emulator.url, max_retries=0,
        ) as client:  # fmt: skip
            live = await client.models.refresh()
            return client.models.resolve(OPUS_46).model_id, live.cache_path

    model_id, path = asyncio.run(run())
    assert model_id == f"us.{OPUS_46}"
    assert path is not None and Path(path).is_file()


def test_mantle_list_shapes() -> None:
    """Both shapes bedrock-mantle's ``/v1/models`` may have: the Anthropic Models API page
    (built with the official SDK's own type) and the OpenAI list; anything else is None."""
    from anthropic.types import ModelInfo as SdkModelInfo

    from claude_bedrock.catalog._live import parse_mantle_models

    item = SdkModelInfo.model_construct(
        id=HAIKU_45,
        type="model",
        display_name="Claude Haiku 4.5",
        created_at=datetime(2025, 10, 1, tzinfo=UTC),
    )
    page = {"data": [item.model_dump(mode="json", exclude_unset=True)], "has_more": False,
            "first_id": HAIKU_45, "last_id": HAIKU_45}  # fmt: skip
    assert parse_mantle_models(page) == [HAIKU_45]
    data = [
        {"id": NEW, "object": "model", "created": 1, "owned_by": "anthropic"},
        {"id": "openai.gpt-oss-120b", "object": "model", "created": 1, "owned_by": "openai"},
    ]
    openai_list = {"object": "list", "data": data}
    assert parse_mantle_models(openai_list) == [NEW]  # Claude models only
    for other in ([], {"models": []}, {"data": "x"}, None):
        assert parse_mantle_models(other) is None


def test_an_end_of_life_model_the_account_still_lists_passes(
    emulator: Emulator, account: Account
) -> None:
    eol = next(m for m in Catalog.default().models() if m.lifecycle == "eol")
    lifecycle = {"legacyTime": "2026-04-14T00:00:00Z", "endOfLifeTime": "2027-03-01T00:00:00Z"}
    account.extra_summaries.append(summary(eol.id, REGION, "LEGACY", **lifecycle))
    account.extra_profiles.append(profile("us", eol.id, REGION))
    with _client(emulator) as client:
        with pytest.raises(ModelEndOfLifeError):  # the bundle alone refuses it
            client.models.resolve(eol.id)
        client.models.refresh()
        with pytest.warns(LegacyModelWarning, match="2027-03-01"):
            resolved = client.models.resolve(eol.id)
        assert resolved.model_id == f"us.{eol.id}" and resolved.info is not None
        assert (resolved.info.lifecycle, str(resolved.info.eol_date)) == ("legacy", "2027-03-01")
        calls = account.calls["InvokeModel"]
        with contextlib.suppress(APIStatusError):  # the emulator may refuse it: Bedrock's say
            client.messages.create(model=eol.id, max_tokens=8,
                                   messages=[{"role": "user", "content": "hi"}])  # fmt: skip
        assert account.calls["InvokeModel"] == calls + 1  # sent, not refused before sending
