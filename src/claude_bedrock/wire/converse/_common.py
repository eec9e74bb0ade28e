"""What both directions of the block translation share: rules, tables, citations.

One function per direction and block kind, mirror images of each other, so that Messages
-> Converse -> Messages is the identity (the property tests check it). Rules that are not
obvious from the two formats:

* ``cache_control`` on a block becomes a ``cachePoint`` block right *after* it (Converse
  caches the prefix up to the cache point); back again, a ``cachePoint`` attaches to the
  block before it. The TTL (``5m``/``1h``) is kept.
* Binary data (images, PDFs, redacted thinking) is base64 text in the Messages format and a
  blob in Converse. Converse dicts come in two forms: the *Python* form boto3 takes and
  returns (``bytes``) and the *wire* form of the HTTP body (base64 text, the same string
  as the Messages format's, so nothing is decoded). Readers accept both.
* Converse needs a ``name`` on every document: the Messages ``title`` is used, or
  ``Document N`` when there is none. Names must follow Converse's rule
  (:func:`document_name_problem`); a title that does not is an error, never renamed.
* A text block with ``citations`` is a ``citationsContent`` block in Converse.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final

from ..rules.documents import DocumentNameLimits, document_name_problem
from ._errors import fail

__all__ = [
    "DocumentNameLimits",
    "b64_text",
    "citation_from_converse",
    "citation_to_converse",
    "document_name_problem",
    "fail",
    "mapping",
    "only",
]

IMAGE_FORMATS: Final = {
    "image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
}  # fmt: skip
IMAGE_TYPES: Final = {fmt: media for media, fmt in IMAGE_FORMATS.items()}
#: Converse document formats Claude reads as plain text.
TEXT_FORMATS: Final = ("txt", "md", "csv", "html")
#: Office formats: Bedrock converts them for the model; the Messages format has no slot for
#: them, so they come back as base64 sources with their MIME type (the emulator reads those).
OFFICE_TYPES: Final = {
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OFFICE_FORMATS: Final = {media: fmt for fmt, media in OFFICE_TYPES.items()}


def b64_text(value: object, where: str) -> str:
    """Base64 text of a blob given as ``bytes`` (Python form) or base64 text (wire form)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, str):
        return value
    raise fail("expected bytes or base64 text", where)


def only(block: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key, value in block.items():
        if key not in allowed and value is not None:
            raise fail(
                f"field {key!r} has no Converse equivalent", f"{where}.{key}",
                "unsupported_field", value=key,
            )  # fmt: skip


def mapping(value: object, where: str) -> Mapping[str, Any]:
    if hasattr(value, "model_dump"):  # a typed block from a previous answer (duck-typed)
        value = value.model_dump(exclude_none=True)
    if not isinstance(value, Mapping):
        raise fail(f"expected an object, got {type(value).__name__}", where)
    return value


# --------------------------------------------------------------------------- citations

_LOCATIONS: Final = {
    # Messages type: (Converse location member, Messages index key, start key, end key)
    "char_location": ("documentChar", "document_index", "start_char_index", "end_char_index"),
    "page_location": ("documentPage", "document_index", "start_page_number", "end_page_number"),
    "content_block_location": (
        "documentChunk", "document_index", "start_block_index", "end_block_index",
    ),
    "search_result_location": (
        "searchResultLocation", "search_result_index", "start_block_index", "end_block_index",
    ),
}  # fmt: skip
_CONVERSE_INDEX: Final = {"searchResultLocation": "searchResultIndex"}
_BY_MEMBER: Final = {spec[0]: (kind, *spec[1:]) for kind, spec in _LOCATIONS.items()}


def citation_to_converse(citation: object, where: str) -> dict[str, Any]:
    citation = mapping(citation, where)
    kind = citation.get("type")
    spec = _LOCATIONS.get(str(kind))
    if spec is None:
        raise fail(
            f"citations of type {kind!r} have no Converse equivalent", f"{where}.type",
            "no_equivalent", value=kind,
        )  # fmt: skip
    member, index_key, start_key, end_key = spec
    title_key = "title" if kind == "search_result_location" else "document_title"
    allowed = {"type", "cited_text", index_key, start_key, end_key, title_key, "file_id"}
    if kind == "search_result_location":
        allowed.add("source")
    only(citation, frozenset(allowed), where)
    location = {
        _CONVERSE_INDEX.get(member, "documentIndex"): citation.get(index_key),
        "start": citation.get(start_key),
        "end": citation.get(end_key),
    }
    out: dict[str, Any] = {}
    if citation.get(title_key) is not None:
        out["title"] = citation[title_key]
    if citation.get("source") is not None:
        out["source"] = citation["source"]
    out["sourceContent"] = [{"text": citation.get("cited_text", "")}]
    out["location"] = {member: location}
    return out


def citation_from_converse(citation: Mapping[str, Any], where: str) -> dict[str, Any]:
    location = citation.get("location") or {}
    cited = "".join(str(part.get("text", "")) for part in citation.get("sourceContent") or [])
    if "web" in location:
        web = location["web"]
        return {"type": "web_search_result_location", "url": web.get("url"),
                "title": citation.get("title"), "cited_text": cited}  # fmt: skip
    members = [m for m in location if m in _BY_MEMBER]
    if len(members) != 1:
        raise fail("a citation needs exactly one known location", f"{where}.location")
    kind, index_key, start_key, end_key = _BY_MEMBER[members[0]]
    spot = location[members[0]]
    out: dict[str, Any] = {"type": kind, "cited_text": cited}
    out[index_key] = spot.get(_CONVERSE_INDEX.get(members[0], "documentIndex"))
    if kind == "search_result_location":
        out["source"] = citation.get("source")
        out["title"] = citation.get("title")
    else:
        out["document_title"] = citation.get("title")
    out[start_key] = spot.get("start")
    out[end_key] = spot.get("end")
    return out
