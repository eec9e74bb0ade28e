"""Hostile request bodies for the emulator (issue 17): small to send, costly to answer.

Shared by ``test_hostile_inputs.py`` and ``bench/bench_hostile.py`` (the figures). Each
builder returns bytes or a JSON-able dict; none needs a model or a network.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

MODEL = "global.anthropic.claude-opus-4-6-v1"


def invoke_body(**extra: Any) -> dict[str, Any]:
    """A valid InvokeModel body with ``extra`` fields."""
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hello"}],
        **extra,
    }


def forced_tool(schema: dict[str, Any]) -> dict[str, Any]:
    """An InvokeModel body forcing one tool whose ``input_schema`` is ``schema``."""
    return invoke_body(
        tools=[{"name": "t", "description": "d", "input_schema": schema}],
        tool_choice={"type": "tool", "name": "t"},
        max_tokens=32_000,
    )


def structured(schema: dict[str, Any]) -> dict[str, Any]:
    """An InvokeModel body asking for JSON valid against ``schema`` (structured outputs)."""
    return invoke_body(
        output_config={"format": {"type": "json_schema", "schema": schema}}, max_tokens=32_000
    )


def huge_schemas() -> dict[str, dict[str, Any]]:
    """Object schemas whose smallest valid value is gigantic (or whose naive build is)."""
    big = 1_000_000_000
    wide = {f"p{i}": {"type": "array", "minItems": 40} for i in range(40)}
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(100):  # 200 JSON levels: under the decoder's limit, over the engine's
        deep = {"type": "object", "properties": {"a": deep}, "required": ["a"]}
    return {
        "minItems": {
            "type": "object",
            "properties": {"a": {"type": "array", "minItems": big}},
            "required": ["a"],
        },
        "minLength": {
            "type": "object",
            "properties": {"a": {"type": "string", "minLength": big}},
            "required": ["a"],
        },
        "minProperties": {"type": "object", "minProperties": big},
        "nested arrays": {
            "type": "object",
            "properties": {
                "a": {
                    "type": "array",
                    "minItems": 1000,
                    "items": {"type": "array", "minItems": 1000, "items": {"minItems": 1000}},
                }
            },
            "required": ["a"],
        },
        "wide": {
            "type": "object",
            "properties": {"a": {"type": "object", "properties": wide}},
            "required": ["a"],
        },
        "pattern": {
            "type": "object",
            "properties": {"a": {"type": "string", "pattern": "^(ab){100000000}$"}},
            "required": ["a"],
        },
        "deep": deep,
        "ref loop": {
            "type": "object",
            "$defs": {"n": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/n"}}},
            "properties": {"a": {"$ref": "#/$defs/n"}},
            "required": ["a"],
        },
    }


def deep_json(depth: int = 10_000) -> bytes:
    """A JSON document nested ``depth`` deep (valid JSON, refused by any sane parser)."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def deep_messages_body(depth: int = 10_000) -> bytes:
    """An InvokeModel body whose message text is a list nested ``depth`` deep."""
    return (
        b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":'
        b'[{"role":"user","content":' + b"[" * depth + b"]" * depth + b"}]}"
    )


def lone_surrogate_body(shape: str = "invoke") -> bytes:
    """A well-formed JSON body of ``shape`` (``invoke``, ``converse`` or ``messages``) whose
    message text holds an unpaired surrogate escape."""
    text = b'"hi \\ud800 there"'
    if shape == "converse":
        return b'{"messages":[{"role":"user","content":[{"text":' + text + b"}]}]}"
    head = b'"model":"anthropic.claude-opus-5",' if shape == "messages" else b""
    version = b"" if shape == "messages" else b'"anthropic_version":"bedrock-2023-05-31",'
    return (
        b"{"
        + head
        + version
        + b'"max_tokens":16,"messages":[{"role":"user","content":'
        + text
        + b"}]}"
    )


# -- PDFs -----------------------------------------------------------------------------------


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file from its numbered objects (1-based; object 1 is the catalogue)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def inflating_pdf(pages: int = 1, inflated: int = 2_000_000) -> bytes:
    """A PDF of ``pages`` pages sharing one content stream that inflates to ``inflated``
    bytes of text-drawing operators (a few KB on the wire, seconds of text extraction)."""
    line = b"(The emulator reads this line once more.) Tj 0 -1 Td\n"
    content = b"BT /F1 1 Tf 0 800 Td\n" + line * (inflated // len(line)) + b"ET"
    packed = zlib.compress(content, 9)
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    )
    objects.extend(page for _ in range(pages))
    return _pdf(objects)


def many_pages_pdf(pages: int = 100_000) -> bytes:
    """A PDF of ``pages`` empty pages (one shared page object body each)."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
    ]
    objects.extend(b"<< /Type /Page /Parent 2 0 R >>" for _ in range(pages))
    return _pdf(objects)


def pdf_body(pdf: bytes, text: str = "Summarise the document.") -> dict[str, Any]:
    """An InvokeModel body carrying ``pdf`` as a base64 document block."""
    block = {
        "type": "document",
        "source": {
            "type": "base64",
            "media_type": "application/pdf",
            "data": base64.b64encode(pdf).decode(),
        },
    }
    return invoke_body(
        messages=[{"role": "user", "content": [block, {"type": "text", "text": text}]}]
    )
