"""SigV4: our signer against botocore and the AWS test suite; our verifier against both.

Our own signer exists only because it is faster (bench/bench_signing.py); these tests are
what allows it: it must produce botocore's exact Authorization on random requests, and the
AWS test-suite's exact canonical request, string to sign and Authorization.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_bedrock.wire.signing import (
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    Credentials,
    MalformedAuthorization,
    ParsedAuthorization,
    RequestExpired,
    SignatureError,
    SigV4Signer,
    canonical_request,
    check_clock_skew,
    parse_authorization,
    payload_hash,
    request_timestamp,
    string_to_sign,
    verify,
)

SUITE = json.loads((Path(__file__).parent / "data/sigv4/aws4_testsuite.json").read_text("utf-8"))
SUITE_NOW = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
SUITE_SCOPE = "20150830/us-east-1/service/aws4_request"
AMZ = "%Y%m%dT%H%M%SZ"


# -- the AWS SigV4 test suite ------------------------------------------------------------


@dataclass
class SuiteRequest:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes


def _parse_req(text: str) -> SuiteRequest:
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, target = request_line.split(" ", 1)
    target = target.rsplit(" ", 1)[0]  # drop " HTTP/1.1"; targets may contain spaces
    path, _, query = target.partition("?")
    headers = [(n, v) for n, _, v in (line.partition(":") for line in header_lines)]
    return SuiteRequest(method, path, query, headers, body.encode())


def _suite_credentials(vector: dict[str, Any]) -> Credentials:
    token = vector.get("session_token")
    return Credentials(SUITE["access_key"], SUITE["secret_key"], token)


VECTORS = [pytest.param(v, id=v["name"]) for v in SUITE["vectors"]]


def test_suite_has_a_representative_set() -> None:
    names = {v["name"] for v in SUITE["vectors"]}
    assert len(names) >= 10
    assert {"get-vanilla", "post-vanilla", "get-vanilla-query-order-key-case"} <= names
    assert {"post-x-www-form-urlencoded", "get-header-value-trim"} <= names


@pytest.mark.parametrize("vector", VECTORS)
def test_suite_canonical_request_and_string_to_sign(vector: dict[str, Any]) -> None:
    req = _parse_req(vector["req"])
    creq = canonical_request(req.method, req.path, req.query, req.headers, payload_hash(req.body))
    assert creq == vector["creq"]
    assert string_to_sign(SUITE["amz_date"], SUITE_SCOPE, creq) == vector["sts"]


def _distinct_case(name: str, index: int) -> str:
    """The same header name in another letter case, so a dict can carry repeated headers."""
    variants = [name, name.lower(), name.upper(), name.swapcase()]
    return variants[index]


@pytest.mark.parametrize("vector", VECTORS)
def test_suite_sign(vector: dict[str, Any]) -> None:
    req = _parse_req(vector["req"])
    headers: dict[str, str] = {}
    for name, value in req.headers:
        key = name
        for i in range(4):
            key = _distinct_case(name, i)
            if key not in headers:
                break
        headers[key] = value
    url = f"https://example.amazonaws.com{req.path}" + (f"?{req.query}" if req.query else "")
    signer = SigV4Signer("us-east-1", "service")
    steps = signer.signing_steps(
        req.method, url, headers, req.body, _suite_credentials(vector), now=SUITE_NOW
    )
    assert steps.canonical_request == vector["creq"]
    assert steps.string_to_sign == vector["sts"]
    assert steps.headers["Authorization"] == vector["authz"]
    assert steps.headers["X-Amz-Date"] == SUITE["amz_date"]


@pytest.mark.parametrize("vector", VECTORS)
def test_suite_verify(vector: dict[str, Any]) -> None:
    req = _parse_req(vector["req"])
    received = req.headers + [tuple(h) for h in vector.get("added_after_signing", [])]
    parsed = parse_authorization(vector["authz"])
    ok = verify(req.method, req.path, req.query, received, req.body, SUITE["secret_key"], parsed)
    assert ok
    assert not verify(
        req.method, req.path, req.query, received, req.body + b"x", SUITE["secret_key"], parsed
    )


def test_double_encoded_model_id_path_matches_botocore() -> None:
    """Non-S3 services sign the wire path encoded once more: ``%3A`` is signed as ``%253A``."""
    url = (
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
        "global.anthropic.claude-opus-4-6-v1%3A0/invoke"
    )
    steps = SigV4Signer("us-east-1").signing_steps(
        "POST",
        url,
        {"Content-Type": "application/json"},
        b"{}",
        Credentials("AK", "SK"),
        now=SUITE_NOW,
    )
    assert "\n/model/global.anthropic.claude-opus-4-6-v1%253A0/invoke\n" in steps.canonical_request
    boto = _botocore_at(
        "POST",
        url,
        {"Content-Type": "application/json"},
        b"{}",
        Credentials("AK", "SK"),
        "us-east-1",
        "bedrock",
        "20150830T123600Z",
    )
    assert boto[0] == steps.canonical_request
    assert boto[2] == steps.headers["Authorization"]


# -- property tests against botocore ---------------------------------------------------------

MODEL_IDS = [
    "global.anthropic.claude-opus-4-6-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-6-v1:0",
    "arn:aws:bedrock:eu-west-1:123:application-inference-profile/a1b2c3",
]
SEGMENT_ALPHABET = "abcXYZ019-._~%:@!$&'()*+,;= é"
QUERY_ALPHABET = "abcXYZ019-._~%/:+ é"
VALUE_ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters=" \t\x0b\x0c\xa0"
)
NAME_ALPHABET = st.sampled_from(
    [
        "X-Foo",
        "x-foo",
        "X-FOO",
        "Accept",
        "Content-Type",
        "content-type",
        "X-Amzn-Bedrock-Trace",
        "X-Amz-Meta-A",
        "Anthropic-Beta",
        "X-Custom-1",
        "My-Header1",
    ]
)
SPECIAL_HEADERS = [
    "User-Agent",
    "Authorization",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "Connection",
    "Host",
    "Date",
    "Content-Length",
    "Expect",
]


@st.composite
def _paths(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["invoke", "converse", "random"]))
    if kind != "random":
        model = quote(draw(st.sampled_from(MODEL_IDS)), safe="")
        suffix = draw(st.sampled_from(["invoke", "invoke-with-response-stream", "converse"]))
        return f"/model/{model}/{suffix}"
    segments = draw(
        st.lists(
            st.one_of(st.sampled_from(["", ".", ".."]), st.text(SEGMENT_ALPHABET, max_size=8)),
            max_size=6,
        )
    )
    path = "/" + "/".join(segments)
    return path + ("/" if draw(st.booleans()) else "")


@st.composite
def _queries(draw: st.DrawFn) -> str:
    pairs = draw(
        st.lists(
            st.tuples(
                st.text(QUERY_ALPHABET, max_size=6),
                st.sampled_from(["", "=", "=v"]),
                st.text(QUERY_ALPHABET, max_size=6),
            ),
            max_size=4,
        )
    )
    return "&".join(k + (sep + v if sep == "=" else sep) for k, sep, v in pairs)


def _odd_spacing(value: str) -> st.SearchStrategy[str]:
    return st.sampled_from([value, f"  {value} ", f"\t{value}", value.replace(" ", "   ")])


@dataclass
class RandomRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    credentials: Credentials
    region: str
    service: str
    bogus_hash: bool


@st.composite
def _requests(draw: st.DrawFn, *, special: bool) -> RandomRequest:
    method = draw(st.sampled_from(["POST", "GET", "PUT", "DELETE", "post", "Get"]))
    region = draw(st.sampled_from(["us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"]))
    service = draw(st.sampled_from(["bedrock", "sts", "execute-api", "service"]))
    host = draw(
        st.sampled_from(
            [
                f"bedrock-runtime.{region}.amazonaws.com",
                "127.0.0.1:8080",
                "LocalHost:443",
                "localhost:80",
                "[::1]:9000",
                "Example.COM",
            ]
        )
    )
    scheme = draw(st.sampled_from(["https", "http"]))
    query = draw(_queries())
    url = f"{scheme}://{host}{draw(_paths())}" + (f"?{query}" if query else "")
    body = draw(st.one_of(st.just(b""), st.binary(max_size=300)))
    headers: dict[str, str] = {}
    for name in draw(st.lists(NAME_ALPHABET, max_size=5)):
        headers[name] = draw(st.text(VALUE_ALPHABET, max_size=12).flatmap(_odd_spacing))
    # X-Amz-Content-SHA256 replaces the body hash; the first one wins when two letter cases
    # of it are sent, so sometimes send two different claims.
    claims = {
        "unsigned": UNSIGNED_PAYLOAD,
        "correct": payload_hash(body),
        "bogus": EMPTY_SHA256 if body else "0" * 64,
    }
    hash_kinds = draw(
        st.one_of(
            st.just([]),
            st.lists(st.sampled_from(sorted(claims)), min_size=1, max_size=2),
        )
    )
    for name, kind in zip(
        ["X-Amz-Content-SHA256", "x-amz-content-sha256"], hash_kinds, strict=False
    ):
        headers[name] = claims[kind]
    if special:
        for name in draw(st.lists(st.sampled_from(SPECIAL_HEADERS), max_size=3, unique=True)):
            headers[name] = (
                "Mon, 01 Jan 2001 00:00:00 GMT"
                if name == "Date"
                else draw(st.text(VALUE_ALPHABET, min_size=1, max_size=10))
            )
    token = draw(
        st.one_of(st.none(), st.just(""), st.text("abcXYZ019/+=", min_size=1, max_size=40))
    )
    access = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=4, max_size=20))
    secret = draw(st.text(VALUE_ALPHABET, min_size=1, max_size=40))
    creds = Credentials(access, secret, token)
    return RandomRequest(
        method, url, headers, body, creds, region, service, hash_kinds[:1] == ["bogus"]
    )


def _boto_request(r: RandomRequest) -> AWSRequest:
    return AWSRequest(method=r.method, url=r.url, headers=dict(r.headers), data=r.body)


def _boto_auth(r: RandomRequest) -> SigV4Auth:
    creds = BotoCredentials(
        r.credentials.access_key, r.credentials.secret_key, r.credentials.session_token
    )
    return SigV4Auth(creds, r.service, r.region)


def _wire_pairs(req: AWSRequest) -> list[tuple[str, str]]:
    """The headers as a server would receive them (HTTP clients add Host when it is absent)."""
    pairs = list(req.headers.items())
    if "Host" not in req.headers:
        pairs.append(("Host", SigV4Auth(None, "s", "r").headers_to_sign(req)["host"]))
    return pairs


PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(_requests(special=True))
def test_sign_matches_botocore_add_auth(r: RandomRequest) -> None:
    """botocore's real ``add_auth`` at its own clock; ours at the timestamp it used."""
    boto = _boto_request(r)
    _boto_auth(r).add_auth(boto)
    used = datetime.strptime(boto.context["timestamp"], AMZ)
    ours = SigV4Signer(r.region, r.service).sign(
        r.method, r.url, r.headers, r.body, r.credentials, now=used
    )
    assert ours["Authorization"] == boto.headers["Authorization"]
    for name, value in ours.items():
        assert boto.headers.get_all(name) == [value]
    expected = {"Authorization", "Date" if "Date" in r.headers else "X-Amz-Date"}
    if r.credentials.session_token:
        expected.add("X-Amz-Security-Token")
    assert set(ours) == expected

    # What botocore sends, our verifier accepts (unless the claimed body hash is a lie).
    parts = urlsplit(r.url)
    parsed = parse_authorization(boto.headers["Authorization"])
    ok = verify(
        r.method,
        parts.path,
        parts.query,
        _wire_pairs(boto),
        r.body,
        r.credentials.secret_key,
        parsed,
    )
    assert ok is not r.bogus_hash


def _botocore_at(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    creds: Credentials,
    region: str,
    service: str,
    amz_date: str,
) -> tuple[str, str, str]:
    """botocore's canonical request, string to sign and Authorization at a fixed timestamp.

    Uses SigV4Auth's public steps on a request already carrying the X-Amz-Date and token
    headers ``add_auth`` would set, so no clock is involved.
    """
    req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    req.headers["X-Amz-Date"] = amz_date
    if creds.session_token:
        req.headers["X-Amz-Security-Token"] = creds.session_token
    req.context["timestamp"] = amz_date
    auth = SigV4Auth(
        BotoCredentials(creds.access_key, creds.secret_key, creds.session_token), service, region
    )
    creq = auth.canonical_request(req)
    sts = auth.string_to_sign(req, creq)
    signed = auth.signed_headers(auth.headers_to_sign(req))
    authz = (
        f"AWS4-HMAC-SHA256 Credential={auth.scope(req)}, SignedHeaders={signed}, "
        f"Signature={auth.signature(sts, req)}"
    )
    return creq, sts, authz


@PROPERTY
@given(
    _requests(special=False),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
)
def test_signing_steps_match_botocore_at_fixed_timestamps(r: RandomRequest, when: datetime) -> None:
    when = when.replace(microsecond=0)
    amz_date = when.strftime(AMZ)
    creq, sts, authz = _botocore_at(
        r.method, r.url, r.headers, r.body, r.credentials, r.region, r.service, amz_date
    )
    steps = SigV4Signer(r.region, r.service).signing_steps(
        r.method, r.url, r.headers, r.body, r.credentials, now=when
    )
    assert steps.canonical_request == creq
    assert steps.string_to_sign == sts
    assert steps.headers["Authorization"] == authz


def test_headers_botocore_never_signs_are_not_signed() -> None:
    headers = {name.title(): "x" for name in SIGNED_HEADERS_BLACKLIST}
    headers["Content-Type"] = "application/json"
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke"
    steps = SigV4Signer("us-east-1").signing_steps(
        "POST", url, headers, b"{}", CREDS, now=SUITE_NOW
    )
    assert (
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"
        in (steps.headers["Authorization"])
    )
    boto = _botocore_at(
        "POST", url, headers, b"{}", CREDS, "us-east-1", "bedrock", "20150830T123600Z"
    )
    assert steps.headers["Authorization"] == boto[2]


def test_aware_datetimes_are_converted_to_utc() -> None:
    paris = datetime(2015, 8, 30, 14, 36, tzinfo=ZoneInfo("Europe/Paris"))
    headers = SigV4Signer("us-east-1").sign(
        "GET", "https://h/", {}, b"", Credentials("A", "S"), now=paris
    )
    assert headers["X-Amz-Date"] == "20150830T123600Z"


# -- verification: acceptance and rejection --------------------------------------------------

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials("AKIAIOSFODNN7EXAMPLE", SECRET, "FwoGZXIvYXdzEXAMPLETOKEN")
INVOKE_PATH = "/model/global.anthropic.claude-opus-4-6-v1%3A0/invoke"
HOST = "bedrock-runtime.us-west-2.amazonaws.com"
BODY = b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":256,"messages":[]}'


def _signed(
    headers: dict[str, str] | None = None, body: bytes = BODY, query: str = ""
) -> tuple[list[tuple[str, str]], ParsedAuthorization]:
    sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    url = f"https://{HOST}{INVOKE_PATH}" + (f"?{query}" if query else "")
    added = SigV4Signer("us-west-2").sign("POST", url, sent, body, CREDS)
    replaced = {name.lower() for name in added}
    kept = [(n, v) for n, v in sent.items() if n.lower() not in replaced]
    wire = [("Host", HOST), *kept, *added.items()]
    return wire, parse_authorization(added["Authorization"])


def _verify(
    wire: list[tuple[str, str]],
    parsed: ParsedAuthorization,
    *,
    body: bytes = BODY,
    path: str = INVOKE_PATH,
    query: str = "",
    secret: str = SECRET,
    method: str = "POST",
) -> bool:
    return verify(method, path, query, wire, body, secret, parsed)


def test_verify_accepts_what_sign_produces() -> None:
    wire, parsed = _signed()
    assert _verify(wire, parsed)
    assert _verify(dict(wire), parsed)  # a mapping is accepted too
    assert _verify([(n.upper(), v) for n, v in wire], parsed)  # names are case-insensitive


@pytest.mark.parametrize(
    "tamper",
    [
        "body",
        "signed_header",
        "wrong_secret",
        "path",
        "query",
        "method",
        "drop_signed_header",
        "repeat_signed_header",
        "date",
    ],
)
def test_verify_rejects_tampering(tamper: str) -> None:
    wire, parsed = _signed(query="a=1")
    assert _verify(wire, parsed, query="a=1") is True
    kwargs: dict[str, Any] = {"query": "a=1"}
    if tamper == "body":
        kwargs["body"] = BODY.replace(b"256", b"257")
    elif tamper == "signed_header":
        wire = [(n, "text/plain" if n == "Content-Type" else v) for n, v in wire]
    elif tamper == "wrong_secret":
        kwargs["secret"] = SECRET[:-1] + "X"
    elif tamper == "path":
        kwargs["path"] = INVOKE_PATH.replace("opus", "haiku")
    elif tamper == "query":
        kwargs["query"] = "a=2"
    elif tamper == "method":
        kwargs["method"] = "PUT"
    elif tamper == "drop_signed_header":
        wire = [(n, v) for n, v in wire if n != "Accept"]
    elif tamper == "repeat_signed_header":
        wire = [*wire, ("accept", "text/html")]
    elif tamper == "date":
        wire = [(n, "20991231T000000Z" if n == "X-Amz-Date" else v) for n, v in wire]
    if tamper == "date":
        with pytest.raises(MalformedAuthorization, match="Credential scope"):
            _verify(wire, parsed, **kwargs)
    else:
        assert _verify(wire, parsed, **kwargs) is False


def test_unsigned_header_added_later_does_not_break_verification() -> None:
    wire, parsed = _signed()
    assert _verify([*wire, ("User-Agent", "curl/8"), ("X-Amzn-Trace-Id", "Root=1")], parsed)


def test_content_sha256_header_is_checked_against_the_body() -> None:
    wire, parsed = _signed({"X-Amz-Content-SHA256": payload_hash(BODY)})
    assert _verify(wire, parsed)
    assert not _verify(wire, parsed, body=BODY + b" ")


def test_unsigned_payload_only_when_the_header_says_so() -> None:
    wire, parsed = _signed({"X-Amz-Content-SHA256": UNSIGNED_PAYLOAD})
    assert _verify(wire, parsed)
    assert _verify(wire, parsed, body=b"anything at all")  # the body is not covered
    # Without the header the body hash is computed, so the same signature no longer fits.
    stripped = [(n, v) for n, v in wire if n.lower() != "x-amz-content-sha256"]
    signed = parse_authorization(dict(wire)["Authorization"])
    assert "x-amz-content-sha256" in signed.signed_headers
    assert not _verify(stripped, parsed)
    # Nor is any other magic value taken as "unsigned".
    other, parsed2 = _signed({"X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
    assert not _verify(other, parsed2)


def test_verify_accepts_date_header_instead_of_x_amz_date() -> None:
    wire, parsed = _signed({"Date": "Thu, 01 Jan 1970 00:00:00 GMT"})
    names = {n for n, _ in wire}
    assert "X-Amz-Date" not in names and "Date" in names
    assert _verify(wire, parsed)


def test_verify_requires_a_date_header() -> None:
    wire, parsed = _signed()
    with pytest.raises(MalformedAuthorization, match="X-Amz-Date"):
        _verify([(n, v) for n, v in wire if n != "X-Amz-Date"], parsed)


# -- parse_authorization --------------------------------------------------------------------

GOOD = SUITE["vectors"][0]["authz"]
SIG = GOOD.rsplit("=", 1)[1]


def test_parse_authorization_fields() -> None:
    parsed = parse_authorization(GOOD)
    assert (parsed.access_key, parsed.date, parsed.region, parsed.service) == (
        "AKIDEXAMPLE",
        "20150830",
        "us-east-1",
        "service",
    )
    assert parsed.signed_headers == ("host", "x-amz-date")
    assert parsed.signature == SIG
    assert parsed.scope == SUITE_SCOPE
    assert SIG not in repr(parsed)
    # Spacing after commas is optional.
    assert parse_authorization(GOOD.replace(", ", ",")) == parsed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Bearer ABSK-secret-bedrock-key", "Unsupported authorization type"),
        (GOOD.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"), "Unsupported"),
        (GOOD.replace(f", Signature={SIG}", ""), "'Signature'"),
        (GOOD.replace("SignedHeaders=", "SignedHeaders=x;"), "sorted"),
        (GOOD.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=Host;x-amz-date"), "lower"),
        (GOOD.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date"), "'Host'"),
        (GOOD.replace("/aws4_request", "/aws5_request"), "scoped"),
        (GOOD.replace("/20150830/", "/2015-08-30/"), "YYYYMMDD"),
        (GOOD.replace("/us-east-1/", "//"), "scoped"),
        (GOOD[:-1], "64"),
        (GOOD.upper(), "not well formed"),
        (GOOD + f", Signature={SIG}", "not well formed"),
        ("AWS4-HMAC-SHA256", "not well formed"),
    ],
)
def test_parse_authorization_rejects_malformed(value: str, message: str) -> None:
    with pytest.raises(MalformedAuthorization, match=message) as info:
        parse_authorization(value)
    assert isinstance(info.value, SignatureError) and isinstance(info.value, ValueError)
    assert SIG not in str(info.value) and SIG[:-1] not in str(info.value)
    assert "ABSK-secret" not in str(info.value)


# -- clock skew ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "expired"),
    [
        (timedelta(0), False),
        (timedelta(minutes=4, seconds=59), False),
        (timedelta(minutes=-4, seconds=-59), False),
        (timedelta(minutes=5), False),
        (timedelta(minutes=5, seconds=1), True),
        (timedelta(minutes=-5, seconds=-1), True),
        (timedelta(hours=-3), True),
    ],
)
def test_clock_skew_limit(offset: timedelta, expired: bool) -> None:
    now = SUITE_NOW + offset
    if expired:
        with pytest.raises(RequestExpired, match="Signature (expired|not yet current)"):
            check_clock_skew("20150830T123600Z", now=now)
    else:
        check_clock_skew("20150830T123600Z", now=now)
    # A naive "now" is taken as UTC.
    if not expired:
        check_clock_skew("20150830T123600Z", now=now.replace(tzinfo=None))


def test_clock_skew_custom_limit_and_malformed_date() -> None:
    with pytest.raises(RequestExpired):
        check_clock_skew(
            "20150830T123600Z", now=SUITE_NOW + timedelta(seconds=61), limit=timedelta(minutes=1)
        )
    with pytest.raises(MalformedAuthorization):
        check_clock_skew("2015-08-30T12:36:00Z", now=SUITE_NOW)


def test_request_timestamp_sources() -> None:
    assert request_timestamp({"X-Amz-Date": "20150830T123600Z"}) == "20150830T123600Z"
    assert request_timestamp([("date", "Sun, 30 Aug 2015 12:36:00 GMT")]) == "20150830T123600Z"
    with pytest.raises(MalformedAuthorization):
        request_timestamp({"Date": "yesterday"})
    with pytest.raises(MalformedAuthorization):
        request_timestamp({"X-Amz-Date": "20150830"})


# -- secrets stay out of reprs ----------------------------------------------------------------


def test_credentials_repr_hides_secret_and_token() -> None:
    text = repr(CREDS)
    assert SECRET not in text and "FwoGZXIvYXdzEXAMPLETOKEN" not in text
    assert "AKIA...MPLE" in text and "AKIAIOSFODNN7EXAMPLE" not in text
    assert str(CREDS) == text
    assert "session_token=None" in repr(Credentials("AKIAIOSFODNN7EXAMPLE", SECRET))
    assert "short" not in repr(Credentials("short", SECRET))


def test_signing_steps_contain_no_secret() -> None:
    steps = SigV4Signer("us-west-2").signing_steps(
        "POST", f"https://{HOST}{INVOKE_PATH}", {}, BODY, CREDS
    )
    assert SECRET not in repr(steps)
    assert hashlib.sha256(steps.canonical_request.encode()).hexdigest() in steps.string_to_sign
