"""The model table of Anthropic's Bedrock guide (legacy integration), written out
independently of the catalogue's data.

The tests compare the catalogue against this table, so a typo in ``models.json`` cannot
also be the expected value.
"""

from __future__ import annotations

SCOPES = ("global", "us", "eu", "jp", "apac")

# name, base ID, offered scopes (the guide's global, us, eu, jp, apac columns)
SPEC_TABLE: list[tuple[str, str, tuple[str, ...]]] = [
    ("Claude Opus 4.6", "anthropic.claude-opus-4-6-v1:0", ("global", "us", "eu", "jp", "apac")),
    (
        "Claude Sonnet 4.5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        ("global", "us", "eu", "jp"),
    ),
    ("Claude Sonnet 4", "anthropic.claude-sonnet-4-20250514-v1:0", ("global", "us", "eu", "apac")),
    ("Claude Sonnet 3.7", "anthropic.claude-3-7-sonnet-20250219-v1:0", ("us", "eu", "apac")),
    ("Claude Opus 4.5", "anthropic.claude-opus-4-5-20251101-v1:0", ("global", "us", "eu")),
    ("Claude Opus 4.1", "anthropic.claude-opus-4-1-20250805-v1:0", ("us",)),
    ("Claude Opus 4", "anthropic.claude-opus-4-20250514-v1:0", ("us",)),
    ("Claude Haiku 4.5", "anthropic.claude-haiku-4-5-20251001-v1:0", ("global", "us", "eu")),
    ("Claude Haiku 3.5", "anthropic.claude-3-5-haiku-20241022-v1:0", ("us",)),
    ("Claude Haiku 3", "anthropic.claude-3-haiku-20240307-v1:0", ("us", "eu", "apac")),
]

DEPRECATED = {
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "anthropic.claude-3-5-haiku-20241022-v1:0",
}
CONTEXT_1M = {
    "anthropic.claude-opus-4-6-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-sonnet-4-20250514-v1:0",
}

# A Region whose only geography is the scope (global: any Region; jp: Tokyo, which also
# reaches apac, so jp rows use prefixed IDs there).
HOME_REGION = {
    "global": "us-west-2",
    "us": "us-east-1",
    "eu": "eu-west-1",
    "jp": "ap-northeast-1",
    "apac": "ap-southeast-2",
}

PAIRS = [
    (name, base, scope, scope in offered, offered)
    for name, base, offered in SPEC_TABLE
    for scope in SCOPES
]
