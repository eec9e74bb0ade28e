"""Region and endpoint resolution: the order users rely on, argument by argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_bedrock._config import profile_ca_bundle, resolve_endpoints, resolve_region

_ENV = (
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE", "ANTHROPIC_BEDROCK_BASE_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK",
    "AWS_CA_BUNDLE",
)  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    # An empty AWS config so the machine's own ~/.aws never leaks into a test.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))


def test_region_argument_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert resolve_region("ap-northeast-1", None) == "ap-northeast-1"


def test_region_env_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert resolve_region(None, None) == "eu-central-1"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert resolve_region(None, None) == "us-west-2"


def test_region_from_profile_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_region(None, None) == "us-east-1"
    (tmp_path / "config").write_text("[profile work]\nregion = eu-north-1\n")
    assert resolve_region(None, "work") == "eu-north-1"
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert resolve_region(None, None) == "eu-north-1"


def test_default_endpoints() -> None:
    ep = resolve_endpoints("us-west-2", None)
    assert ep.runtime == "https://bedrock-runtime.us-west-2.amazonaws.com"
    assert ep.control == "https://bedrock.us-west-2.amazonaws.com"


@pytest.mark.parametrize(
    "env",
    ["ANTHROPIC_BEDROCK_BASE_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"],
)
def test_runtime_endpoint_env(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv(env, "http://127.0.0.1:9999/")
    assert resolve_endpoints("us-west-2", None).runtime == "http://127.0.0.1:9999"


def test_endpoint_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:2")
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", "http://127.0.0.1:3")
    assert resolve_endpoints("us-east-1", None).runtime == "http://127.0.0.1:3"
    assert resolve_endpoints("us-east-1", "http://127.0.0.1:4").runtime == "http://127.0.0.1:4"
    # The control plane follows AWS_ENDPOINT_URL, not the runtime-only variables.
    assert resolve_endpoints("us-east-1", None).control == "http://127.0.0.1:1"


def test_aws_endpoint_url_alone_points_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7777")
    ep = resolve_endpoints("us-west-2", None)
    assert ep.runtime == ep.control == "http://127.0.0.1:7777"


def test_custom_base_url_serves_control_plane_too() -> None:
    ep = resolve_endpoints("us-west-2", "http://127.0.0.1:5555")
    assert ep.control == "http://127.0.0.1:5555"
    aws = resolve_endpoints("us-west-2", "https://bedrock-runtime.eu-west-1.amazonaws.com")
    assert aws.control == "https://bedrock.us-west-2.amazonaws.com"


def test_explicit_control_plane_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", "http://127.0.0.1:8")
    assert resolve_endpoints("us-east-1", None).control == "http://127.0.0.1:8"
    assert resolve_endpoints("us-east-1", None, "http://127.0.0.1:9").control == (
        "http://127.0.0.1:9"
    )


def test_profile_ca_bundle_as_botocore_reads_it(tmp_path: Path) -> None:
    import botocore.session

    assert profile_ca_bundle(None) is None  # no AWS files at all
    (tmp_path / "config").write_text("[default]\nca_bundle = /ca/default.pem\n"
                                     "[profile work]\nca_bundle = /ca/work.pem\n")  # fmt: skip
    (tmp_path / "credentials").write_text("[keys]\nca_bundle = /ca/keys.pem\n")
    for profile in (None, "work", "keys", "absent"):
        try:
            expected = botocore.session.Session(profile=profile).get_config_variable("ca_bundle")
        except Exception:  # botocore refuses an unknown profile: so do we, quietly
            expected = None
        assert profile_ca_bundle(profile) == expected
    assert profile_ca_bundle("keys") == "/ca/keys.pem"  # the credentials file counts too
