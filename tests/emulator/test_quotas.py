"""Bedrock's quotas in the emulator (``Emulator(quotas=...)``), seen through real clients.

boto3 must raise its own ``ThrottlingException`` / ``ServiceUnavailableException`` with
Bedrock's wording and status, the official SDK its own ``RateLimitError`` /
``OverloadedError``; bucket arithmetic is checked against the token counts Bedrock's own
response headers report, and refills by moving the emulator's manual clock through its
admin API (``clock=manual``), never by waiting or patching.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anthropic
import boto3
import httpx
import pytest
from botocore.config import Config

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock, RateLimitError
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.quotas import scope_of
from claude_bedrock.emulator.quotas_data import DEFAULT_FILE, load_table, parse_spec

from .conftest import body
from .messages_support import MANTLE_MODEL, PROFILE_MODEL, REGION, close_clients, kept

MODEL = "us.anthropic.claude-opus-4-8"
TOO_MANY_TOKENS = "Too many tokens, please wait before trying again."
TOO_MANY_REQUESTS = "Too many requests, please wait before trying again."
TIMEOUT = 10.0


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield from close_clients()


def _started(spec: str | None) -> Emulator:
    return Emulator(region=REGION, quotas=spec).start()


@pytest.fixture
def quota_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    emulator = _started(getattr(request, "param", "default,clock=manual,tpm=1000"))
    yield emulator
    emulator.stop()


def _runtime(emulator: Emulator) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator.url,
        aws_access_key_id=emulator.access_key,
        aws_secret_access_key=emulator.secret_key,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                      read_timeout=TIMEOUT, connect_timeout=TIMEOUT),
    )  # fmt: skip


def _invoke(runtime: Any, max_tokens: int = 100, model: str = MODEL) -> dict[str, int]:
    """One InvokeModel; the token counts Bedrock's response headers report."""
    response = runtime.invoke_model(modelId=model, body=json.dumps(body(max_tokens=max_tokens)))
    response["body"].read()
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    return {
        "input": int(headers["x-amzn-bedrock-input-token-count"]),
        "output": int(headers["x-amzn-bedrock-output-token-count"]),
    }


def _bucket(emulator: Emulator, model: str = "claude-opus-4-8", scope: str = "cross-region"):  # type: ignore[no-untyped-def]
    stats = emulator.quota_stats()
    return next(b for b in stats["buckets"] if b["model"] == model and b["scope"] == scope)


def _mantle(emulator: Emulator) -> anthropic.AnthropicBedrockMantle:
    return kept(
        anthropic.AnthropicBedrockMantle(
            aws_region=REGION, base_url=emulator.url + "/anthropic", max_retries=0,
            aws_access_key=emulator.access_key, aws_secret_key=emulator.secret_key,
            timeout=TIMEOUT,
        )
    )  # fmt: skip


def _envelope(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _create(client: Any, max_tokens: int = 64, model: str = MANTLE_MODEL) -> Any:
    return client.messages.create(
        model=model, max_tokens=max_tokens, messages=[{"role": "user", "content": "Hi"}]
    )


# -- bedrock-runtime: one token quota, input + output x burndown -----------------------------


def test_throttled_with_bedrocks_wording_status_and_no_retry_after(
    quota_emulator: Emulator,
) -> None:
    runtime = _runtime(quota_emulator)
    _invoke(runtime)  # ~10 input + 32 output x 5 burned of 1000
    with pytest.raises(runtime.exceptions.ThrottlingException) as caught:
        _invoke(runtime, max_tokens=900)  # reserves input + 900 > the ~830 left
    error = caught.value.response
    assert error["Error"] == {"Code": "ThrottlingException", "Message": TOO_MANY_TOKENS}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert "retry-after" not in error["ResponseMetadata"]["HTTPHeaders"]


def test_reservation_is_reconciled_with_output_times_burndown(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    counts = _invoke(runtime, max_tokens=500)
    # Claude Opus 4.8 burns 5 quota tokens per output token; the unused max_tokens come back.
    burned = counts["input"] + 5 * counts["output"]
    assert _bucket(quota_emulator)["tpm"]["available"] == 1000 - burned
    assert quota_emulator.quota_stats()["totals"]["quota_tokens"] == burned


def test_concurrent_callers_get_exactly_the_quota(quota_emulator: Emulator) -> None:
    """40 identical calls at once from 8 threads, no refill (manual clock): admitted while
    the bucket holds input + max_tokens, each then burning input + output x 5."""
    runtime = _runtime(quota_emulator)
    counts = _invoke(runtime)  # the probe tells the sizes, then the quota starts afresh
    quota_emulator.reset_quotas()
    level, expected = 1000, 0
    while level >= counts["input"] + 100:
        level -= counts["input"] + 5 * counts["output"]
        expected += 1

    def call(_: int) -> int:
        try:
            _invoke(runtime)
            return 200
        except runtime.exceptions.ThrottlingException:
            return 429

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(40), timeout=60))
    assert (statuses.count(200), statuses.count(429)) == (expected, 40 - expected)
    totals = quota_emulator.quota_stats()["totals"]
    assert (totals["received"], totals["admitted"]) == (40, expected)


def test_admission_counts_max_tokens_not_the_output_to_come(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    input_tokens = _invoke(runtime, max_tokens=1)["input"]
    quota_emulator.reset_quotas()
    _invoke(runtime, max_tokens=1000 - input_tokens)  # exactly the whole bucket: admitted
    quota_emulator.reset_quotas()
    with pytest.raises(runtime.exceptions.ThrottlingException):
        _invoke(runtime, max_tokens=1001 - input_tokens)  # one token over: refused


def test_bucket_refills_with_the_emulator_clock(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    counts = _invoke(runtime, max_tokens=900)
    missing = (counts["input"] + 900) - (1000 - counts["input"] - 5 * counts["output"])
    with pytest.raises(runtime.exceptions.ThrottlingException):
        _invoke(runtime, max_tokens=900)
    per_token = 60 / 1000  # seconds for one token to come back: 1,000 per 60 s window
    quota_emulator.advance_clock((missing - 1) * per_token)  # one token short
    with pytest.raises(runtime.exceptions.ThrottlingException):
        _invoke(runtime, max_tokens=900)
    quota_emulator.advance_clock(2 * per_token)  # and now one over
    _invoke(runtime, max_tokens=900)
    assert _bucket(quota_emulator)["tpm"]["ceiling"] == pytest.approx(1000 + missing + 1)
    stats = quota_emulator.quota_stats()["totals"]
    assert (stats["received"], stats["admitted"], stats["throttled"]) == (4, 2, 2)


@pytest.mark.parametrize(
    "quota_emulator", ["default,clock=manual,window=1,tpm=100000,rpm=2"], indirect=True
)
def test_requests_per_minute_and_a_scaled_window(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    _invoke(runtime)
    _invoke(runtime)
    with pytest.raises(runtime.exceptions.ThrottlingException) as caught:
        _invoke(runtime)
    assert caught.value.response["Error"]["Message"] == TOO_MANY_REQUESTS
    quota_emulator.advance_clock(0.5)  # half of a 1-second "minute": one request back
    _invoke(runtime)
    with pytest.raises(runtime.exceptions.ThrottlingException):
        _invoke(runtime)


def test_every_runtime_operation_is_governed_and_count_tokens_is_free(
    quota_emulator: Emulator,
) -> None:
    runtime = _runtime(quota_emulator)
    _invoke(runtime, max_tokens=900)  # ~830 left: every call below reserves more
    big = body(max_tokens=900)
    converse_args: dict[str, Any] = {
        "modelId": MODEL,
        "messages": [{"role": "user", "content": [{"text": "Hello"}]}],
        "inferenceConfig": {"maxTokens": 900},
    }
    calls = [
        lambda: runtime.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(big)),
        lambda: runtime.converse(**converse_args),
        lambda: runtime.converse_stream(**converse_args),
    ]
    for call in calls:
        with pytest.raises(runtime.exceptions.ThrottlingException) as caught:
            call()
        assert caught.value.response["Error"]["Message"] == TOO_MANY_TOKENS
    counted = runtime.count_tokens(
        modelId="anthropic.claude-opus-4-8",
        input={"invokeModel": {"body": json.dumps(body(max_tokens=100_000))}},
    )
    assert counted["inputTokens"] > 0
    totals = quota_emulator.quota_stats()["totals"]
    assert (totals["received"], totals["throttled"]) == (4, 3)


def test_runtime_messages_api_shares_the_runtime_quota(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    _invoke(runtime, model=PROFILE_MODEL, max_tokens=900)
    plain = kept(anthropic.Anthropic(base_url=quota_emulator.url + "/anthropic",
                                     api_key=quota_emulator.api_key, max_retries=0,
                                     timeout=TIMEOUT))  # fmt: skip
    with pytest.raises(anthropic.RateLimitError) as caught:
        _create(plain, max_tokens=900, model=PROFILE_MODEL)
    assert caught.value.status_code == 429
    assert caught.value.body == _envelope("rate_limit_error", TOO_MANY_TOKENS)
    assert caught.value.response.headers.get("retry-after") is None


def test_profiles_of_each_scope_have_their_own_bucket(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    _invoke(runtime, max_tokens=900)
    _invoke(runtime, model="global.anthropic.claude-opus-4-8", max_tokens=900)  # its own quota
    assert _bucket(quota_emulator, scope="global")["tpm"]["limit"] == 1000
    ids = [
        "us.anthropic.claude-opus-4-8",
        "global.anthropic.claude-opus-4-8",
        "anthropic.claude-opus-4-8",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.x",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.x",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
    ]
    scopes = ["cross-region", "global", "on-demand", "on-demand", "cross-region", "cross-region"]
    assert [scope_of(model_id) for model_id in ids] == scopes


# -- bedrock-mantle: separate input and output quotas ----------------------------------------


@pytest.mark.parametrize(
    "quota_emulator", ["default,clock=manual,input_tpm=500,output_tpm=100"], indirect=True
)
def test_mantle_input_quota_admits_input_plus_max_tokens(quota_emulator: Emulator) -> None:
    client = _mantle(quota_emulator)
    _create(client, max_tokens=400)  # input + 400 reserved; the unused max_tokens return
    with pytest.raises(anthropic.RateLimitError) as caught:
        _create(client, max_tokens=495)
    assert caught.value.status_code == 429
    assert caught.value.body == _envelope("rate_limit_error", TOO_MANY_TOKENS)
    assert caught.value.response.headers.get("x-amzn-errortype") is None  # mantle: no AWS header
    stream = client.messages.stream(
        model=MANTLE_MODEL, max_tokens=495, messages=[{"role": "user", "content": "Hi"}]
    )
    with pytest.raises(anthropic.RateLimitError), stream:
        pass  # a stream is refused before its first event, with the same 429


@pytest.mark.parametrize(
    "quota_emulator", ["default,clock=manual,input_tpm=100000,output_tpm=60"], indirect=True
)
def test_mantle_output_quota_throttles_once_spent(quota_emulator: Emulator) -> None:
    client = _mantle(quota_emulator)
    used = 0
    while used < 60:  # each answer's output is charged to the output bucket
        used += _create(client).usage.output_tokens
    with pytest.raises(anthropic.RateLimitError):
        _create(client)
    quota_emulator.advance_clock(60.0)
    _create(client)


# -- capacity errors, determinism --------------------------------------------------------------


@pytest.mark.parametrize("quota_emulator", ["default,capacity_every=2"], indirect=True)
def test_capacity_errors_on_schedule(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    _invoke(runtime)
    with pytest.raises(runtime.exceptions.ServiceUnavailableException) as caught:
        _invoke(runtime)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert caught.value.response["Error"]["Message"] == "Bedrock is unable to process your request."
    client = _mantle(quota_emulator)
    _create(client)
    with pytest.raises(anthropic.OverloadedError) as overloaded:
        _create(client)
    assert overloaded.value.status_code == 529
    assert overloaded.value.body == _envelope("overloaded_error", "Overloaded")
    assert quota_emulator.quota_stats()["totals"]["overloaded"] == 2


def _outcomes(spec: str) -> list[int]:
    emulator = _started(spec)
    try:
        runtime = _runtime(emulator)
        statuses = []
        for _ in range(30):
            try:
                _invoke(runtime)
                statuses.append(200)
            except runtime.exceptions.ServiceUnavailableException:
                statuses.append(503)
        return statuses
    finally:
        emulator.stop()


def test_seeded_capacity_errors_repeat() -> None:
    first = _outcomes("default,capacity=0.3,seed=11")
    assert first == _outcomes("default,capacity=0.3,seed=11")
    assert 0 < first.count(503) < 30
    assert first != _outcomes("default,capacity=0.3,seed=12")


@pytest.mark.parametrize("quota_emulator", ["default,tpm=10,retry_after=2"], indirect=True)
def test_retry_after_only_when_asked(quota_emulator: Emulator) -> None:
    with pytest.raises(_runtime(quota_emulator).exceptions.ThrottlingException) as caught:
        _invoke(_runtime(quota_emulator))
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "2"


# -- counters ------------------------------------------------------------------------------


def test_counts_per_request_key_and_per_body(quota_emulator: Emulator) -> None:
    def send(key: str | None, max_tokens: int) -> int:
        runtime = _runtime(quota_emulator)
        if key is not None:
            runtime.meta.events.register(
                "before-send.bedrock-runtime.InvokeModel",
                lambda request, **_: request.headers.__setitem__("x-emulator-request-key", key),
            )
        try:
            _invoke(runtime, max_tokens=max_tokens)
            return 200
        except runtime.exceptions.ThrottlingException:
            return 429

    assert [send("rec-1", 100), send("rec-1", 900), send("rec-2", 100)] == [200, 429, 200]
    one = quota_emulator.quota_stats(key="rec-1")["key"]
    assert (one["received"], one["admitted"], one["throttled"]) == (2, 1, 1)
    send(None, 50)
    send(None, 50)  # the same body twice: one hash key
    every = quota_emulator.quota_stats(all_keys=True)["by_key"]
    hashed = [counts for key, counts in every.items() if key.startswith("sha256:")]
    assert [c["received"] for c in hashed] == [2]
    assert quota_emulator.quota_stats()["by_model"][MODEL]["received"] == 5


def test_without_quotas_nothing_changes(emulator: Emulator) -> None:
    """The session emulator has no quotas: no admin route, no throttling however hard."""
    response = httpx.get(emulator.url + "/_emulator/stats", timeout=TIMEOUT)
    assert response.status_code == 404
    runtime = _runtime(emulator)
    for _ in range(20):
        _invoke(runtime, max_tokens=100_000)


# -- the setting ---------------------------------------------------------------------------


def test_setting_parsing_and_the_shipped_table(tmp_path: Path) -> None:
    settings = parse_spec("default,window=2,tpm=400000,rpm=200,seed=7,capacity=0.01")
    assert (settings.window, settings.seed, settings.capacity) == (2.0, 7, 0.01)
    assert settings.overrides == {"tpm": 400000.0, "rpm": 200.0}
    assert parse_spec("window=3").table.runtime == load_table().runtime  # default implied
    for bad, said in [("default,bogus=1", "unknown option"), ("default,capacity=2", "between"),
                      ("default,clock=sundial", "clock"), ("default,seed=x", "integer"),
                      (str(tmp_path / "missing.json"), "cannot read")]:  # fmt: skip
        with pytest.raises(ValueError, match=said):
            parse_spec(bad)
    with pytest.raises(ValueError, match="clock"):
        Emulator(quotas="default,clock=sundial")
    table = json.loads(DEFAULT_FILE.read_text())
    cited = {row.get("tpm_source") or row.get("source") for row in table["runtime"]} | {
        row["source"] for row in table["mantle"]
    }
    assert all(any(s.startswith(k) for k in table["sources"]) for s in cited)


def test_a_quota_file(tmp_path: Path) -> None:
    path = tmp_path / "quotas.json"
    path.write_text(json.dumps({
        "window_seconds": 60,
        "runtime": [{"match": "claude-opus-4-8", "burndown": 1, "tpm": {"cross-region": 300}}],
    }))  # fmt: skip
    emulator = _started(f"{path},clock=manual")
    try:
        runtime = _runtime(emulator)
        _invoke(runtime, max_tokens=250)
        with pytest.raises(runtime.exceptions.ThrottlingException):
            _invoke(runtime, max_tokens=250)
        _invoke(runtime, model="us.anthropic.claude-sonnet-5", max_tokens=100_000)  # no row
    finally:
        emulator.stop()


def test_admin_routes_refuse_what_they_cannot_do(quota_emulator: Emulator) -> None:
    clock = quota_emulator.url + "/_emulator/clock"
    for bad in ("-1", "soon"):
        response = httpx.post(clock, params={"advance": bad}, timeout=TIMEOUT)
        assert response.status_code == 400
    assert httpx.post(clock, json={"advance": 1.5}, timeout=TIMEOUT).json() == {"now": 1.5}
    runtime = _runtime(quota_emulator)
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.invoke_model(modelId=MODEL, body=json.dumps(body(max_tokens=0)))
    totals = quota_emulator.quota_stats()["totals"]  # refused before admission: not throttled
    assert (totals["received"], totals["rejected"], totals["throttled"]) == (1, 1, 0)


@pytest.mark.parametrize("quota_emulator", ["default,tpm=1000"], indirect=True)
def test_the_system_clock_cannot_be_moved(quota_emulator: Emulator) -> None:
    response = httpx.post(quota_emulator.url + "/_emulator/clock", params={"advance": "5"},
                          timeout=TIMEOUT)  # fmt: skip
    assert response.status_code == 400
    assert "clock=manual" in response.json()["message"]


# -- tokens per day ------------------------------------------------------------------------

#: The words users quote from Bedrock (minorun365/agent-book#29, boto3 Converse;
#: Ivy-Interactive/Ivy-Tendril#1756, Claude Code): not read from the emulator's data.
TOO_MANY_TOKENS_PER_DAY = "Too many tokens per day, please wait before trying again."
DAY = "default,clock=manual,tpm=100000,tpd=1000"
OTHER_MODEL = "us.anthropic.claude-sonnet-4-6"


def _day(emulator: Emulator, model: str = "claude-opus-4-8") -> dict[str, float]:
    days = emulator.quota_stats()["days"]
    found: dict[str, float] = next(d for d in days if d["model"] == model)["tpd"]
    return found


@pytest.mark.parametrize("quota_emulator", [DAY], indirect=True)
def test_tokens_per_day_throttle_with_bedrocks_wording(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    counts = _invoke(runtime, max_tokens=500)
    burned = counts["input"] + 5 * counts["output"]  # charged like the minute: x5 burndown
    assert _day(quota_emulator)["available"] == 1000 - burned
    rest = 1000 - burned - counts["input"]  # the max_tokens that fill what is left exactly
    with pytest.raises(runtime.exceptions.ThrottlingException) as caught:
        _invoke(runtime, max_tokens=rest + 1)
    error = caught.value.response
    assert error["Error"] == {"Code": "ThrottlingException", "Message": TOO_MANY_TOKENS_PER_DAY}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert "retry-after" not in error["ResponseMetadata"]["HTTPHeaders"]
    _invoke(runtime, max_tokens=rest)  # exactly the day's rest: admitted
    totals = quota_emulator.quota_stats()["totals"]
    assert (totals["admitted"], totals["throttled"], totals["throttled_per_day"]) == (2, 1, 1)


@pytest.mark.parametrize("quota_emulator", [DAY], indirect=True)
def test_a_day_is_per_model_and_region_shared_by_its_scopes(quota_emulator: Emulator) -> None:
    runtime = _runtime(quota_emulator)
    _invoke(runtime, max_tokens=900)  # the day of Opus 4.8 has less than 900 left
    for model in (MODEL, PROFILE_MODEL):  # the global profile of the same model: same day
        with pytest.raises(runtime.exceptions.ThrottlingException) as caught:
            _invoke(runtime, model=model, max_tokens=900)
        assert caught.value.response["Error"]["Message"] == TOO_MANY_TOKENS_PER_DAY
    assert _bucket(quota_emulator, scope="global")["tpm"]["available"] == 100000  # untouched
    _invoke(runtime, model=OTHER_MODEL, max_tokens=900)  # another model: its own day
    plain = kept(anthropic.Anthropic(base_url=quota_emulator.url + "/anthropic",
                                     api_key=quota_emulator.api_key, max_retries=0,
                                     timeout=TIMEOUT))  # fmt: skip
    with pytest.raises(anthropic.RateLimitError) as refused:  # the runtime's Messages API too
        _create(plain, max_tokens=900, model=PROFILE_MODEL)
    assert refused.value.body == _envelope("rate_limit_error", TOO_MANY_TOKENS_PER_DAY)
    _create(_mantle(quota_emulator), max_tokens=900)  # bedrock-mantle has no daily quota
    days = quota_emulator.quota_stats()["days"]
    assert [d["model"] for d in days] == ["claude-opus-4-8", "claude-sonnet-4-6"]


@pytest.mark.parametrize(
    "quota_emulator", ["default,clock=manual,window=1,tpm=100000,tpd=1000"], indirect=True
)
def test_the_day_passes_on_the_emulator_clock_and_resets(quota_emulator: Emulator) -> None:
    """A quota day is 1440 quota minutes: with ``window=1`` (a 1-second minute), 1440 s of
    the emulator's manual clock; the reset route refills it too."""
    runtime = _runtime(quota_emulator)
    _invoke(runtime, max_tokens=900)

    def refused() -> bool:
        try:
            _invoke(runtime, max_tokens=900)
            return False
        except runtime.exceptions.ThrottlingException as caught:
            assert caught.response["Error"]["Message"] == TOO_MANY_TOKENS_PER_DAY
            return True

    assert refused()
    assert quota_emulator.quota_stats()["day"] == 1440.0
    quota_emulator.advance_clock(1.0)  # a whole quota minute: not the day
    assert refused()
    quota_emulator.advance_clock(1439.0)  # the rest of the day: full again
    assert not refused()
    assert refused()
    quota_emulator.reset_quotas()
    assert _day(quota_emulator)["available"] == 1000
    assert not refused()


def test_the_default_day_is_the_minute_times_24_x_60(quota_emulator: Emulator) -> None:
    """AWS: "By default, this value is the per-minute quota multiplied by 24 x 60"."""
    _invoke(_runtime(quota_emulator))
    assert _day(quota_emulator)["limit"] == 1000 * 24 * 60
    settings = parse_spec("default,tpd=5")
    assert settings.overrides == {"tpd": 5.0}
    assert settings.table.day_windows == 1440
    day = json.loads(DEFAULT_FILE.read_text())["day"]
    assert day["message"] == TOO_MANY_TOKENS_PER_DAY
    sources = json.loads(DEFAULT_FILE.read_text())["sources"]
    cited = [v for k, v in day.items() if k.endswith("_source")]
    assert cited and all(any(s.startswith(k) for k in sources) for s in cited)
    marked = {k.removesuffix("_confidence") for k in day if k.endswith("_confidence")}
    assert marked == {"tpd", "charge", "refill", "message"}


@pytest.mark.usefixtures("client_env")
@pytest.mark.parametrize("quota_emulator", [DAY], indirect=True)
def test_our_adaptive_client_does_not_absorb_a_day_quota(quota_emulator: Emulator) -> None:
    """``throughput="adaptive"`` retries throttling past ``max_retries`` up to
    ``retry_deadline`` (a minute's quota comes back within it); a day's does not, so its
    429 gets the ordinary ``max_retries`` and is raised, Bedrock's words in the error."""
    _invoke(_runtime(quota_emulator), max_tokens=900)  # every call below asks for more
    with AnthropicBedrock(
        aws_access_key=quota_emulator.access_key, aws_secret_key=quota_emulator.secret_key,
        aws_region=REGION, base_url=quota_emulator.url, throughput="adaptive",
        max_retries=2, retry_deadline=120,
    ) as client, pytest.raises(RateLimitError) as caught:  # fmt: skip
        client.messages.create(
            model=MODEL, max_tokens=900, messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.status_code == 429
    assert TOO_MANY_TOKENS_PER_DAY in str(caught.value)
    assert quota_emulator.quota_stats()["totals"]["throttled_per_day"] == 3  # 1 + max_retries


@pytest.mark.usefixtures("client_env")
@pytest.mark.parametrize("quota_emulator", [DAY], indirect=True)
def test_our_async_adaptive_client_does_not_absorb_a_day_quota(quota_emulator: Emulator) -> None:
    _invoke(_runtime(quota_emulator), max_tokens=900)

    async def main() -> None:
        async with AsyncAnthropicBedrock(
            aws_access_key=quota_emulator.access_key, aws_secret_key=quota_emulator.secret_key,
            aws_region=REGION, base_url=quota_emulator.url, throughput="adaptive",
            max_retries=1, retry_deadline=120,
        ) as client:  # fmt: skip
            await client.messages.create(
                model=MODEL, max_tokens=900, messages=[{"role": "user", "content": "Hi"}]
            )

    with pytest.raises(RateLimitError, match="per day"):
        asyncio.run(main())
    assert quota_emulator.quota_stats()["totals"]["throttled_per_day"] == 2  # 1 + max_retries
