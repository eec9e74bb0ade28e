"""Bedrock model invocation logs: where they live in S3, how they are written, read back and
summed up (usage and cost per model, per day, per endpoint type).

    from claude_bedrock._s3 import s3_client
    from claude_bedrock.logs import build_report, list_log_objects, read_records

    s3 = s3_client(region="us-east-1")
    objects = list_log_objects(s3, "my-log-bucket", "bedrock", since=since)
    report = build_report(read_records(s3, "my-log-bucket", objects, since=since))
"""

from ..wire.log_layout import LogKey, data_key, hour_prefix, log_root, object_key, parse_key
from ._bounded import ReadLimits, parse_size
from ._html import html_page
from ._read import (
    ReadStats,
    SkippedObject,
    fetch_body,
    find_record,
    list_log_objects,
    parse_since,
    read_records,
    report_records,
)
from ._report import Totals, UsageReport, build_report, endpoint_type

__all__ = [
    "LogKey",
    "ReadLimits",
    "ReadStats",
    "SkippedObject",
    "Totals",
    "UsageReport",
    "build_report",
    "data_key",
    "endpoint_type",
    "fetch_body",
    "find_record",
    "hour_prefix",
    "html_page",
    "list_log_objects",
    "log_root",
    "object_key",
    "parse_key",
    "parse_since",
    "parse_size",
    "read_records",
    "report_records",
]
