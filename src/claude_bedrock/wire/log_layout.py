"""Where Bedrock puts invocation logs in S3, shared by the emulator (writing) and the
report (reading), so both agree by construction.

Bedrock's layout (model invocation logging user guide; every public parser of these logs
relies on it)::

    {keyPrefix}/AWSLogs/{accountId}/BedrockModelInvocationLogs/{region}/YYYY/MM/DD/HH/
        {YYYYMMDDTHHMMSSmmmZ}_{id}.json.gz           gzip NDJSON, one record per line
        data/{requestId}_input.json.gz                bodies too large to keep inline
        data/{requestId}_output.json.gz

The hour directory is the UTC hour of the records' timestamps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "LogKey",
    "data_key",
    "hour_prefix",
    "log_root",
    "object_key",
    "parse_key",
]

_SERVICE_DIR = "BedrockModelInvocationLogs"
_KEY_RE = re.compile(
    r"(?:^|/)AWSLogs/(?P<account>[^/]+)/" + _SERVICE_DIR + r"/(?P<region>[^/]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/(?P<data>data/)?[^/]+\.json\.gz$"
)


def log_root(prefix: str | None) -> str:
    """``"{prefix}/AWSLogs/"`` (``"AWSLogs/"`` without a prefix): everything Bedrock writes."""
    clean = (prefix or "").strip("/")
    return f"{clean}/AWSLogs/" if clean else "AWSLogs/"


def hour_prefix(prefix: str | None, account: str, region: str, when: datetime) -> str:
    utc = when.astimezone(UTC)
    return f"{log_root(prefix)}{account}/{_SERVICE_DIR}/{region}/{utc:%Y/%m/%d/%H}/"


def object_key(
    prefix: str | None, account: str, region: str, when: datetime, object_id: str
) -> str:
    """The key of one batch of records; ``when`` is the batch's earliest record."""
    utc = when.astimezone(UTC)
    stamp = f"{utc:%Y%m%dT%H%M%S}{utc.microsecond // 1000:03d}Z"
    return f"{hour_prefix(prefix, account, region, utc)}{stamp}_{object_id}.json.gz"


def data_key(
    prefix: str | None, account: str, region: str, when: datetime, request_id: str, part: str
) -> str:
    """The key of a body delivered on its own (``part`` is ``"input"`` or ``"output"``)."""
    return f"{hour_prefix(prefix, account, region, when)}data/{request_id}_{part}.json.gz"


@dataclass(frozen=True, slots=True)
class LogKey:
    """What a key says about the records inside, without reading them."""

    account: str
    region: str
    hour: datetime
    is_data: bool


def parse_key(key: str) -> LogKey | None:
    """The account, region and UTC hour of a log object, or None if it is not one."""
    match = _KEY_RE.search(key)
    if match is None:
        return None
    try:
        hour = datetime(
            int(match["y"]), int(match["m"]), int(match["d"]), int(match["h"]), tzinfo=UTC
        )
    except ValueError:
        return None
    return LogKey(match["account"], match["region"], hour, match["data"] is not None)
