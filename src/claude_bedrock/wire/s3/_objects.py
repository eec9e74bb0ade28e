"""The S3 access shared by the client (batch input/output, reading invocation logs) and the
emulator (writing invocation logs and batch outputs).

Built on botocore, a runtime dependency already used for the credential chain: S3's
signing quirks, region redirects, retries and pagination are botocore's job, not ours.
botocore is imported inside the functions so that ``import claude_bedrock`` stays cheap.

Endpoint rules follow the AWS SDKs: an explicit ``endpoint_url``, else
``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL`` (both ignored when
``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true). A non-AWS endpoint (SeaweedFS, MinIO, a
local emulator) gets path-style addressing, since such servers rarely have a DNS name per
bucket, and checksums only where S3 requires them, since many S3-compatible servers do not
understand the newer CRC trailers.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._errors import (
    S3AccessDeniedError,
    S3BucketNotFoundError,
    S3Error,
    S3ObjectNotFoundError,
    S3ParameterError,
    S3URIError,
    s3_errors,
)
from ._stream import MAX_PARTS, MIN_PART_SIZE, MultipartWriter, iter_chunks, iter_lines

if TYPE_CHECKING:
    from ..signing import Credentials

__all__ = [
    "S3Object",
    "S3Error",
    "S3BucketNotFoundError",
    "S3ObjectNotFoundError",
    "S3AccessDeniedError",
    "S3URIError",
    "S3ParameterError",
    "MultipartWriter",
    "MIN_PART_SIZE",
    "MAX_PARTS",
    "s3_client",
    "resolve_endpoint_url",
    "parse_s3_uri",
    "format_s3_uri",
    "check_bucket",
    "put_object",
    "get_object",
    "head_object",
    "list_objects",
    "list_keys",
    "iter_chunks",
    "iter_lines",
    "put_lifecycle_expiration",
    "get_lifecycle",
    "expiration_days",
]

#: An S3 client as botocore builds it (botocore ships no type stubs).
S3Client = Any

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
_loader: list[Any] = []  # botocore's service-model loader, shared by every session we make
_client_lock = threading.Lock()


@dataclass(frozen=True)
class S3Object:
    """One listed object: enough to show progress (size) and to pick by date."""

    key: str
    size: int
    last_modified: datetime | None
    etag: str | None


# -- client --------------------------------------------------------------------------------


def resolve_endpoint_url(endpoint_url: str | None = None) -> str | None:
    """The S3 endpoint the AWS SDKs would use; ``None`` means AWS's own (per region)."""
    if endpoint_url:
        return endpoint_url
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return None
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _is_aws(endpoint_url: str) -> bool:
    host = (urlsplit(endpoint_url).hostname or "").lower()
    return host.endswith(_AWS_HOST_SUFFIXES)


def s3_client(
    *,
    region: str,
    endpoint_url: str | None = None,
    credentials: tuple[str, str, str | None] | Credentials | None = None,
    profile: str | None = None,
    max_pool_connections: int = 10,
    connect_timeout: float = 10,
    read_timeout: float = 60,
    max_attempts: int = 5,
) -> S3Client:
    """A botocore S3 client; thread-safe, so one per process (or per pool) is enough.

    ``credentials`` is ``(access_key, secret_key, session_token)`` or a
    :class:`~claude_bedrock.wire.signing.Credentials`; without it botocore's default chain (or
    ``profile``) supplies them and refreshes temporary ones. ``connect_timeout`` and
    ``read_timeout`` bound each attempt's socket operations and ``max_attempts`` the
    attempts (botocore's "standard" retries), so a call to an S3 that accepts connections
    but never answers ends after at most ``max_attempts x (connect + read)`` seconds plus
    botocore's back-off (the emulator passes small values: see its ``s3_link``).
    """
    from botocore.config import Config

    endpoint = resolve_endpoint_url(endpoint_url)
    custom = endpoint is not None and not _is_aws(endpoint)
    options: dict[str, Any] = {
        "region_name": region,
        "signature_version": "s3v4",
        "retries": {"mode": "standard", "max_attempts": max_attempts},
        "max_pool_connections": max_pool_connections,
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "tcp_keepalive": True,
        "user_agent_extra": "claude-bedrock",
        "s3": {"addressing_style": "path" if custom else "auto"},
    }
    if custom:
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    keys: dict[str, str | None] = {}
    if credentials is not None:
        access, secret, token = _credential_parts(credentials)
        keys = {
            "aws_access_key_id": access,
            "aws_secret_access_key": secret,
            "aws_session_token": token,
        }
    return _new_client(region, endpoint, Config(**options), profile, keys)


def _new_client(
    region: str, endpoint: str | None, config: Any, profile: str | None, keys: dict[str, Any]
) -> S3Client:
    """A client from a fresh botocore session, so that credentials, profile and environment
    are read as they are *now* (a cached session would keep the first ones it saw). The
    service-model loader is shared: it is what makes a fresh session's first client slow
    (measured: 250 ms per client without sharing, 30 ms with)."""
    import botocore.session

    with _client_lock:  # botocore sessions are not thread-safe; the clients they make are
        session = botocore.session.Session(profile=profile)
        if _loader:
            session.register_component("data_loader", _loader[0])
        else:
            _loader.append(session.get_component("data_loader"))
        return session.create_client(
            "s3", region_name=region, endpoint_url=endpoint, config=config, **keys
        )


def _credential_parts(
    credentials: tuple[str, str, str | None] | Credentials,
) -> tuple[str, str, str | None]:
    if isinstance(credentials, tuple):
        access, secret, token = credentials
        return access, secret, token
    return credentials.access_key, credentials.secret_key, credentials.session_token


# -- URIs ----------------------------------------------------------------------------------


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``"s3://bucket/prefix/key"`` -> ``("bucket", "prefix/key")``; the key may be ``""``."""
    if not isinstance(uri, str) or not uri.lower().startswith("s3://"):
        hint = ""
        if isinstance(uri, str) and uri.startswith("arn:aws:s3:::"):
            hint = f" (for an ARN, write s3://{uri.removeprefix('arn:aws:s3:::')})"
        elif isinstance(uri, str) and uri and "://" not in uri:
            hint = f" (did you mean s3://{uri}?)"
        raise S3URIError(f"Expected an S3 URI like s3://bucket/prefix/, got {uri!r}{hint}.")
    bucket, _, key = uri[5:].partition("/")
    problem = _bucket_name_problem(bucket)
    if problem:
        raise S3URIError(f"{uri!r} does not name a valid S3 bucket: {problem}.")
    if len(key.encode("utf-8")) > 1024:
        raise S3URIError(f"The key in {uri[:80]!r}... is over S3's 1024-byte limit.")
    return bucket, key


def format_s3_uri(bucket: str, key: str = "") -> str:
    return f"s3://{bucket}/{key}"


def _bucket_name_problem(bucket: str) -> str | None:
    if not bucket:
        return "the bucket name is empty"
    if not 3 <= len(bucket) <= 63:
        return f"bucket names have 3 to 63 characters, {bucket!r} has {len(bucket)}"
    if not _BUCKET_RE.match(bucket):
        return (
            f"{bucket!r} may only use lowercase letters, digits, '.' and '-', and must start "
            "and end with a letter or digit"
        )
    if ".." in bucket or _IP_RE.match(bucket):
        return f"{bucket!r} has '..' or looks like an IP address"
    return None


# -- objects -------------------------------------------------------------------------------


def check_bucket(client: S3Client, bucket: str) -> None:
    """Raise a clear error unless ``bucket`` exists and the caller may list it."""
    with s3_errors("HeadBucket", bucket):
        client.head_bucket(Bucket=bucket)


def put_object(
    client: S3Client,
    bucket: str,
    key: str,
    body: bytes,
    *,
    content_type: str | None = None,
    content_encoding: str | None = None,
) -> str | None:
    """Write a small object in one request; returns its ETag."""
    extra = {"ContentType": content_type, "ContentEncoding": content_encoding}
    with s3_errors("PutObject", bucket, key):
        answer = client.put_object(
            Bucket=bucket, Key=key, Body=body, **{k: v for k, v in extra.items() if v}
        )
    etag = answer.get("ETag")
    return None if etag is None else str(etag)


def get_object(client: S3Client, bucket: str, key: str) -> bytes:
    """A whole (small) object's bytes; use :func:`iter_lines` / :func:`iter_chunks` for big ones."""
    return b"".join(iter_chunks(client, bucket, key))


def head_object(client: S3Client, bucket: str, key: str) -> S3Object | None:
    """The object's size and date, or ``None`` if it does not exist."""
    try:
        with s3_errors("HeadObject", bucket, key):
            answer = client.head_object(Bucket=bucket, Key=key)
    except S3ObjectNotFoundError:
        return None
    return S3Object(
        key=key,
        size=int(answer.get("ContentLength", 0)),
        last_modified=answer.get("LastModified"),
        etag=answer.get("ETag"),
    )


def list_objects(
    client: S3Client,
    bucket: str,
    prefix: str = "",
    *,
    start_after: str | None = None,
    page_size: int = 1000,
) -> Iterator[S3Object]:
    """Every object under ``prefix`` in key order, one page (``page_size`` keys) at a time."""
    paginator = client.get_paginator("list_objects_v2")
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if start_after:
        params["StartAfter"] = start_after
    pages = paginator.paginate(**params, PaginationConfig={"PageSize": page_size})
    with s3_errors("ListObjectsV2", bucket):
        for page in pages:
            for item in page.get("Contents", ()):
                yield S3Object(
                    key=item["Key"],
                    size=int(item.get("Size", 0)),
                    last_modified=item.get("LastModified"),
                    etag=item.get("ETag"),
                )


def list_keys(
    client: S3Client, bucket: str, prefix: str = "", *, page_size: int = 1000
) -> Iterator[str]:
    """Every key under ``prefix`` in key order (paginated: any number of keys)."""
    for obj in list_objects(client, bucket, prefix, page_size=page_size):
        yield obj.key


# -- lifecycle (retention of invocation logs) ---------------------------------------------


def _rule_id(prefix: str) -> str:
    return f"claude-bedrock-expire:{prefix or '*'}"[:255]


def get_lifecycle(client: S3Client, bucket: str) -> list[dict[str, Any]]:
    """The bucket's lifecycle rules (``[]`` when it has none)."""
    return list(_get_lifecycle_raw(client, bucket).get("Rules", []))


def _get_lifecycle_raw(client: S3Client, bucket: str) -> dict[str, Any]:
    try:
        with s3_errors("GetBucketLifecycleConfiguration", bucket):
            answer: dict[str, Any] = client.get_bucket_lifecycle_configuration(Bucket=bucket)
    except S3Error as exc:
        if exc.code == "NoSuchLifecycleConfiguration":
            return {}
        raise
    return answer


def put_lifecycle_expiration(
    client: S3Client, bucket: str, prefix: str, days: int, *, rule_id: str | None = None
) -> dict[str, Any]:
    """Expire objects under ``prefix`` ``days`` days after creation; returns the rule set.

    S3 replaces a bucket's whole lifecycle configuration on every put, so the current rules
    are read first and kept: only the rule with our ID (one per prefix) is replaced. Two
    processes changing the same bucket's rules at once can still lose one's change; S3
    offers no conditional put for lifecycle configurations.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise S3ParameterError(f"Expiration must be a whole number of days >= 1, got {days!r}.")
    rule_id = rule_id or _rule_id(prefix)
    current = _get_lifecycle_raw(client, bucket)
    rules = [r for r in current.get("Rules", []) if r.get("ID") != rule_id]
    rule: dict[str, Any] = {
        "ID": rule_id,
        "Filter": {"Prefix": prefix},
        "Status": "Enabled",
        "Expiration": {"Days": days},
    }
    rules.append(rule)
    params: dict[str, Any] = {"Bucket": bucket, "LifecycleConfiguration": {"Rules": rules}}
    if current.get("TransitionDefaultMinimumObjectSize"):
        params["TransitionDefaultMinimumObjectSize"] = current["TransitionDefaultMinimumObjectSize"]
    with s3_errors("PutBucketLifecycleConfiguration", bucket):
        client.put_bucket_lifecycle_configuration(**params)
    return rule


def expiration_days(rules: list[dict[str, Any]], key_prefix: str) -> int | None:
    """The shortest expiry (days) any enabled rule applies to every key under ``key_prefix``.

    ``None`` means nothing expires them by age. Rules filtered on tags or sizes are skipped:
    they do not cover every key.
    """
    found: list[int] = []
    for rule in rules:
        days = (rule.get("Expiration") or {}).get("Days")
        if rule.get("Status") != "Enabled" or not isinstance(days, int):
            continue
        rule_prefix = _rule_prefix(rule)
        if rule_prefix is not None and key_prefix.startswith(rule_prefix):
            found.append(days)
    return min(found) if found else None


def _rule_prefix(rule: dict[str, Any]) -> str | None:
    """The prefix a rule covers, or ``None`` if its filter is narrower than a prefix."""
    if "Prefix" in rule:  # the legacy top-level form
        return str(rule["Prefix"])
    filt = rule.get("Filter")
    if not filt:
        return ""
    if set(filt) <= {"Prefix"}:
        return str(filt.get("Prefix", ""))
    return None
