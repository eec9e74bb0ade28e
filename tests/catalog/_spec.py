"""Claude on Bedrock as of December 2026, written out from the fact sheet
(``shared/research/bedrock-2026-12.md``, which cites Anthropic's Bedrock guides, the AWS
model cards and lifecycle page, and live third-party checks) independently of the
catalogue's data.

The tests compare the catalogue against these tables, so a typo in ``models.json`` cannot
also be the expected value.
"""

from __future__ import annotations

SCOPES = ("global", "us", "eu", "jp", "au", "apac", "in", "us-gov")

# name, base ID, offered profile prefixes (§2.1; where a profile rests on third-party data
# only, it is offered: the client must never refuse what Bedrock may accept).
SPEC_TABLE: list[tuple[str, str, tuple[str, ...]]] = [
    ("Claude Opus 5.5", "anthropic.claude-opus-5-5", ("global", "us", "eu", "jp", "au", "us-gov")),
    (
        "Claude Opus 5",
        "anthropic.claude-opus-5",
        ("global", "us", "eu", "jp", "au", "in", "us-gov"),
    ),
    ("Claude Opus 4.8", "anthropic.claude-opus-4-8", ("global", "us", "eu", "jp", "au")),
    ("Claude Opus 4.7", "anthropic.claude-opus-4-7", ("global", "us", "eu", "jp", "au")),
    (
        "Claude Opus 4.6",
        "anthropic.claude-opus-4-6-v1",
        ("global", "us", "eu", "jp", "au", "apac"),
    ),
    ("Claude Opus 4.5", "anthropic.claude-opus-4-5-20251101-v1:0", ("global", "us", "eu")),
    ("Claude Opus 4.1", "anthropic.claude-opus-4-1-20250805-v1:0", ("us",)),
    ("Claude Sonnet 5.5", "anthropic.claude-sonnet-5-5", ("global", "us", "eu", "us-gov")),
    ("Claude Sonnet 5", "anthropic.claude-sonnet-5", ("global", "us", "eu", "jp", "au", "in")),
    ("Claude Sonnet 4.6", "anthropic.claude-sonnet-4-6", ("global", "us", "eu", "jp", "au")),
    (
        "Claude Sonnet 4.5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        ("global", "us", "eu", "jp", "au", "us-gov"),
    ),
    ("Claude Haiku 5.5", "anthropic.claude-haiku-5-5", ("global", "us", "eu", "jp", "au")),
    (
        "Claude Haiku 4.5",
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        ("global", "us", "eu", "jp", "au", "in"),
    ),
    ("Claude Fable 5.2", "anthropic.claude-fable-5-2", ("global", "us")),
    ("Claude Fable 5.1", "anthropic.claude-fable-5-1", ("global", "us")),
    ("Claude Fable 5", "anthropic.claude-fable-5", ("global", "us", "eu")),
]

# bedrock-mantle IDs (§2.1, A-MANTLE): bare, and Haiku 4.5's differs from its runtime ID.
MANTLE_IDS = {
    "anthropic.claude-opus-5-5": "anthropic.claude-opus-5-5",
    "anthropic.claude-opus-5": "anthropic.claude-opus-5",
    "anthropic.claude-opus-4-8": "anthropic.claude-opus-4-8",
    "anthropic.claude-opus-4-7": "anthropic.claude-opus-4-7",
    "anthropic.claude-sonnet-5-5": "anthropic.claude-sonnet-5-5",
    "anthropic.claude-sonnet-5": "anthropic.claude-sonnet-5",
    "anthropic.claude-haiku-4-5-20251001-v1:0": "anthropic.claude-haiku-4-5",
    "anthropic.claude-fable-5-1": "anthropic.claude-fable-5-1",
    "anthropic.claude-fable-5": "anthropic.claude-fable-5",
}

# Legacy on Bedrock (AWS "Model lifecycle (Legacy)"): base ID -> (legacy since, end of life).
LEGACY = {
    "anthropic.claude-opus-4-1-20250805-v1:0": ("2026-07-08", "2027-01-08"),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ("2026-10-08", "2027-04-08"),
}

# Past end of life (§2.4): base ID -> (name, end-of-life date, successor base ID).
END_OF_LIFE = {
    "anthropic.claude-sonnet-4-20250514-v1:0": (
        "Claude Sonnet 4", "2026-10-14", "anthropic.claude-sonnet-4-6"
    ),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": (
        "Claude Sonnet 3.7", "2026-04-28", "anthropic.claude-sonnet-4-6"
    ),
    "anthropic.claude-opus-4-20250514-v1:0": (
        "Claude Opus 4", "2026-05-31", "anthropic.claude-opus-4-8"
    ),
    "anthropic.claude-3-5-haiku-20241022-v1:0": (
        "Claude Haiku 3.5", "2026-06-19", "anthropic.claude-haiku-4-5-20251001-v1:0"
    ),
    "anthropic.claude-3-haiku-20240307-v1:0": (
        "Claude Haiku 3", "2026-09-10", "anthropic.claude-haiku-4-5-20251001-v1:0"
    ),
}  # fmt: skip

# List prices, USD per MTok on the global endpoint (§2.3): input, output, 5-min write,
# 1-hour write (None: not offered on Bedrock), cache read.
PRICES: dict[str, tuple[str, str, str, str | None, str]] = {
    "anthropic.claude-opus-5-5": ("4", "20", "5", "8", "0.2"),
    "anthropic.claude-opus-5": ("5", "25", "6.25", "10", "0.5"),
    "anthropic.claude-opus-4-8": ("5", "25", "6.25", "10", "0.5"),
    "anthropic.claude-opus-4-7": ("5", "25", "6.25", "10", "0.5"),
    "anthropic.claude-opus-4-6-v1": ("5", "25", "6.25", "10", "0.5"),
    "anthropic.claude-opus-4-5-20251101-v1:0": ("5", "25", "6.25", "10", "0.5"),
    "anthropic.claude-opus-4-1-20250805-v1:0": ("15", "75", "18.75", None, "1.5"),
    "anthropic.claude-sonnet-5-5": ("2", "10", "2.5", "4", "0.1"),
    "anthropic.claude-sonnet-5": ("2", "10", "2.5", "4", "0.2"),
    "anthropic.claude-sonnet-4-6": ("3", "15", "3.75", "6", "0.3"),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ("3", "15", "3.75", "6", "0.3"),
    "anthropic.claude-haiku-5-5": ("0.1", "0.5", "0.125", "0.2", "0.01"),
    "anthropic.claude-haiku-4-5-20251001-v1:0": ("1", "5", "1.25", "2", "0.1"),
    "anthropic.claude-fable-5-2": ("8", "40", "10", "16", "0.2"),
    "anthropic.claude-fable-5-1": ("10", "50", "12.5", "20", "0.25"),
    "anthropic.claude-fable-5": ("10", "50", "12.5", "20", "1"),
}

# 200K-token models (A-LEGACY); every other current model has 1M natively.
WINDOW_200K = {
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "anthropic.claude-opus-4-1-20250805-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
}

# A Region of each scope (jp: Tokyo, which also reaches apac; au: Melbourne, also apac;
# in: Hyderabad, also apac; us-gov: GovCloud, no global profiles).
HOME_REGION = {
    "global": "us-west-2",
    "us": "us-east-1",
    "eu": "eu-west-1",
    "jp": "ap-northeast-1",
    "au": "ap-southeast-4",
    "apac": "ap-southeast-2",
    "in": "ap-south-2",
    "us-gov": "us-gov-west-1",
}

PAIRS = [
    (name, base, scope, scope in offered, offered)
    for name, base, offered in SPEC_TABLE
    for scope in SCOPES
]
