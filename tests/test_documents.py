"""claude_bedrock.documents: building document blocks and the limits checked before sending.

PDFs are made here with reportlab (real, multi-page files, one marker word per page), and
every limit is tried on each side of it. The figures come from the catalogue, never from
this file, so the tests follow the data.
"""

from __future__ import annotations

import base64
import io
import warnings
from functools import lru_cache
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from claude_bedrock import AnthropicBedrock, ClientValidationError, DocumentLimitError, documents
from claude_bedrock.catalog import Catalog

LIMITS = Catalog.default().pdf_limits
MAX_PAGES = LIMITS.max_pages
SONNET_4_5 = Catalog.default().get("anthropic.claude-sonnet-4-5-20250929-v1:0")
HAIKU_3 = Catalog.default().get("anthropic.claude-3-haiku-20240307-v1:0")


@lru_cache(maxsize=32)
def make_pdf(pages: int, marker: str = "zebra") -> bytes:
    """A real PDF of ``pages`` pages; page N says "Page N says {marker}-N"."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number in range(1, pages + 1):
        pdf.drawString(72, 720, f"Page {number} says {marker}-{number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def invoke_body(*blocks: dict[str, object]) -> dict[str, object]:
    content = [*blocks, {"type": "text", "text": "What do these say?"}]
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": content}],
    }


# -- building ------------------------------------------------------------------------------


def test_pdf_from_bytes_path_and_file_object_are_identical(tmp_path: Path) -> None:
    data = make_pdf(3)
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    with path.open("rb") as handle:
        from_file = documents.pdf(handle)
    from_path, from_str = documents.pdf(path), documents.pdf(str(path))
    from_bytes = documents.pdf(data)
    assert from_bytes == from_path == from_str == from_file
    source = from_bytes["source"]
    assert source == {"type": "base64", "media_type": "application/pdf", "data": source["data"]}
    assert base64.b64decode(source["data"]) == data
    assert from_bytes["type"] == "document" and set(from_bytes) == {"type", "source"}


def test_pdf_options_become_block_fields() -> None:
    block = documents.pdf(
        make_pdf(1), title="Q3", context="board pack", citations=True, cache_control=True
    )
    assert block["title"] == "Q3" and block["context"] == "board pack"
    assert block["citations"] == {"enabled": True}
    assert block["cache_control"] == {"type": "ephemeral"}
    custom = documents.pdf(make_pdf(1), cache_control={"type": "ephemeral", "ttl": "1h"})
    assert custom["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_text_document_block() -> None:
    block = documents.text("Plain words.", title="notes", citations=True)
    assert block == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "Plain words."},
        "title": "notes",
        "citations": {"enabled": True},
    }
    with pytest.raises(TypeError):
        documents.text(b"bytes are not text")  # type: ignore[arg-type]


def test_page_count_reads_the_pdf() -> None:
    assert documents.page_count(make_pdf(7)) == 7
    assert documents.cached_page_count(base64.b64encode(make_pdf(4)).decode()) == 4


def test_not_a_pdf_is_refused_before_sending() -> None:
    with pytest.raises(ClientValidationError, match="not a readable PDF"):
        documents.pdf(b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(ClientValidationError, match="not valid base64"):
        documents.check_invoke_documents(
            invoke_body({"type": "document", "source": {"type": "base64",
                         "media_type": "application/pdf", "data": "@@@not base64@@@"}})
        )  # fmt: skip


def test_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(2))))
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ClientValidationError, match="encrypted"):
        documents.pdf(buffer.getvalue())


# -- InvokeModel limits, each side ----------------------------------------------------------


def test_pages_per_document_limit() -> None:
    assert documents.page_count(documents_pdf_data(documents.pdf(make_pdf(MAX_PAGES)))) == 100
    with pytest.raises(DocumentLimitError) as caught:
        documents.pdf(make_pdf(MAX_PAGES + 1))
    error = caught.value
    assert (error.limit, error.actual, error.maximum) == ("pages_per_document", 101, MAX_PAGES)
    assert f"{MAX_PAGES + 1} pages" in str(error) and "1 too many" in str(error)
    assert "split" in str(error)


def documents_pdf_data(block: dict[str, object]) -> bytes:
    source = block["source"]
    assert isinstance(source, dict)
    return base64.b64decode(source["data"])


def test_pages_per_document_in_a_hand_built_body() -> None:
    raw = base64.b64encode(make_pdf(MAX_PAGES + 1)).decode()
    block = {"type": "document", "source": {"type": "base64",
             "media_type": "application/pdf", "data": raw}}  # fmt: skip
    with pytest.raises(DocumentLimitError, match="PDF document 2 has 101 pages") as caught:
        documents.check_invoke_documents(invoke_body(documents.pdf(make_pdf(1)), block))
    assert caught.value.limit == "pages_per_document"


def test_pages_per_request_limit() -> None:
    first = documents.pdf(make_pdf(60, "one"))
    documents.check_invoke_documents(invoke_body(first, documents.pdf(make_pdf(40, "two"))))
    with pytest.raises(DocumentLimitError) as caught:
        documents.check_invoke_documents(invoke_body(first, documents.pdf(make_pdf(41, "two"))))
    error = caught.value
    assert (error.limit, error.actual, error.maximum) == ("pages_per_request", 101, MAX_PAGES)
    assert "up to document 2" in str(error) and "1 too many" in str(error)


def test_pdfs_inside_tool_results_count_too() -> None:
    body = invoke_body(documents.pdf(make_pdf(60)))
    body["messages"] = [
        {"role": "user", "content": "read the file"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "read", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                      "content": [documents.pdf(make_pdf(41))]}]},
        *body["messages"],  # type: ignore[list-item]
    ]  # fmt: skip
    with pytest.raises(DocumentLimitError, match="101 pages"):
        documents.check_invoke_documents(body)


def _body_of_size(size: int) -> dict[str, object]:
    """A body whose strings and keys add up to exactly ``size`` (the checked lower bound)."""
    body = invoke_body()
    base = sum(len(k) for k in body) + len("bedrock-2023-05-31") + 1
    base += len("role") + len("user") + len("content")
    base += len("type") + len("text") + len("text") + len("What do these say?")
    padding = documents.text("x")
    base += (
        len("type")
        + len("document")
        + len("source")
        + sum(
            len(k) + len(v)
            for k, v in padding["source"].items()  # type: ignore[union-attr]
        )
    )
    padding["source"]["data"] = "x" * (size - base + 1)  # type: ignore[index]
    body["messages"][0]["content"].insert(0, padding)  # type: ignore[index]
    return body


def test_request_size_limit() -> None:
    limit = LIMITS.invoke_max_body_bytes
    documents.check_invoke_documents(_body_of_size(limit))
    with pytest.raises(DocumentLimitError) as caught:
        documents.check_invoke_documents(_body_of_size(limit + 1))
    error = caught.value
    assert (error.limit, error.actual, error.maximum) == ("request_size", limit + 1, limit)
    assert "(1 over)" in str(error)


def test_exact_request_size_check() -> None:
    limit = LIMITS.invoke_max_body_bytes
    documents.check_request_size(b"x" * limit)
    with pytest.raises(DocumentLimitError, match=r"25,000,001 bytes.*\(1 over\)"):
        documents.check_request_size(b"x" * (limit + 1))


# -- Converse rules -------------------------------------------------------------------------


def converse_doc(name: str, data: bytes, fmt: str = "pdf", citations: bool = True) -> dict:  # type: ignore[type-arg]
    document = {"format": fmt, "name": name, "source": {"bytes": data}}
    if citations:
        document["citations"] = {"enabled": True}
    return {"document": document}


def converse_messages(*items: dict) -> list[dict]:  # type: ignore[type-arg]
    return [{"role": "user", "content": [*items, {"text": "Summarise."}]}]


@pytest.mark.parametrize(
    "name",
    ["Quarterly report", "Report (final) [v2] - draft", "a", "x" * LIMITS.document_name_max_length],
)
def test_converse_names_bedrock_accepts(name: str) -> None:
    documents.check_converse_document_name(name)


@pytest.mark.parametrize(
    "name", ["report.pdf", "two  spaces", "", "x" * (LIMITS.document_name_max_length + 1),
             "John's report", "invoice #12"],
)  # fmt: skip
def test_converse_names_bedrock_refuses(name: str) -> None:
    with pytest.raises(DocumentLimitError) as caught:
        documents.check_converse_document_name(name)
    assert caught.value.limit == "document_name"
    assert repr(name) in str(caught.value)


def test_converse_documents_per_request() -> None:
    most = LIMITS.converse_max_documents
    docs = [converse_doc(f"doc {i}", make_pdf(1, f"d{i}")) for i in range(most + 1)]
    documents.check_converse_documents(converse_messages(*docs[:most]))
    with pytest.raises(DocumentLimitError) as caught:
        documents.check_converse_documents(converse_messages(*docs))
    error = caught.value
    assert (error.limit, error.actual, error.maximum) == ("documents_per_request", most + 1, most)


def test_converse_document_size_for_non_pdf_formats() -> None:
    most = LIMITS.converse_max_document_bytes
    documents.check_converse_documents(converse_messages(converse_doc("notes", b"a" * most, "txt")))
    with pytest.raises(DocumentLimitError) as caught:
        documents.check_converse_documents(
            converse_messages(converse_doc("notes", b"a" * (most + 1), "txt"))
        )
    assert (caught.value.limit, caught.value.actual) == ("document_size", most + 1)
    assert "(1 over)" in str(caught.value)


def _padded_pdf(size: int) -> bytes:
    data = make_pdf(1)
    return data + b"\n%" + b"p" * (size - len(data) - 2)  # a comment after %%EOF: still valid


def test_converse_pdf_size_depends_on_the_model() -> None:
    big = _padded_pdf(LIMITS.converse_max_document_bytes + 1)
    assert documents.page_count(big) == 1
    messages = converse_messages(converse_doc("big", big))
    documents.check_converse_documents(messages, model=SONNET_4_5)  # Claude 4+: no PDF limit
    with pytest.raises(DocumentLimitError, match="document_size|bytes per document"):
        documents.check_converse_documents(messages, model=HAIKU_3)
    with pytest.raises(DocumentLimitError):
        documents.check_converse_documents(messages)  # model unknown: the strict rule


def test_converse_base64_wire_form_is_measured_decoded() -> None:
    most = LIMITS.converse_max_document_bytes
    ok = base64.b64encode(b"a" * most).decode()
    too_big = base64.b64encode(b"a" * (most + 1)).decode()
    doc = {"format": "txt", "name": "notes", "source": {"bytes": ok}}
    documents.check_converse_documents(converse_messages({"document": doc}))
    doc["source"] = {"bytes": too_big}
    with pytest.raises(DocumentLimitError, match="4,718,593 bytes"):
        documents.check_converse_documents(converse_messages({"document": doc}))


def test_converse_pages_per_request() -> None:
    ok = converse_messages(converse_doc("one", make_pdf(60)), converse_doc("two", make_pdf(40)))
    documents.check_converse_documents(ok)
    over = converse_messages(converse_doc("one", make_pdf(60)), converse_doc("two", make_pdf(41)))
    with pytest.raises(DocumentLimitError) as caught:
        documents.check_converse_documents(over)
    assert (caught.value.limit, caught.value.actual) == ("pages_per_request", 101)


def test_converse_duplicate_names_role_format_and_text_block() -> None:
    pdf = make_pdf(1)
    with pytest.raises(DocumentLimitError, match="duplicate") as caught:
        documents.check_converse_documents(
            converse_messages(converse_doc("same", pdf), converse_doc("same", make_pdf(2)))
        )
    assert caught.value.limit == "document_names_unique"
    with pytest.raises(ClientValidationError, match="no text block"):
        documents.check_converse_documents([{"role": "user", "content": [converse_doc("a", pdf)]}])
    with pytest.raises(ClientValidationError, match="'user' messages"):
        documents.check_converse_documents(
            [{"role": "assistant", "content": [converse_doc("a", pdf), {"text": "x"}]}]
        )
    with pytest.raises(ClientValidationError, match="format 'exe'"):
        documents.check_converse_documents(converse_messages(converse_doc("a", pdf, "exe")))


def test_converse_pdf_without_citations_warns_with_citations_does_not() -> None:
    with pytest.warns(documents.TextOnlyPdfWarning, match="text only"):
        documents.check_converse_documents(
            converse_messages(converse_doc("plain", make_pdf(1), citations=False))
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        documents.check_converse_documents(converse_messages(converse_doc("cited", make_pdf(1))))


def test_converse_pdf_builder() -> None:
    block = documents.converse_pdf(make_pdf(2), name="Annual report")
    assert block["document"]["format"] == "pdf"
    assert block["document"]["citations"] == {"enabled": True}
    assert documents.page_count(block["document"]["source"]["bytes"]) == 2
    with pytest.raises(DocumentLimitError):
        documents.converse_pdf(make_pdf(1), name="annual_report.pdf")
    with pytest.raises(DocumentLimitError, match="pages_per_document|101 pages"):
        documents.converse_pdf(make_pdf(MAX_PAGES + 1), name="Too long")


# -- the client runs the checks before sending ----------------------------------------------


def test_client_checks_documents_before_sending() -> None:
    raw = base64.b64encode(make_pdf(MAX_PAGES + 1)).decode()
    block = {"type": "document", "source": {"type": "base64",
             "media_type": "application/pdf", "data": raw}}  # fmt: skip
    messages = [{"role": "user", "content": [block, {"type": "text", "text": "Summarise."}]}]
    with AnthropicBedrock(
        aws_region="us-west-2",
        base_url="http://127.0.0.1:9",
        max_retries=0,
        aws_access_key="AKIDEXAMPLE",
        aws_secret_key="not-a-real-secret",
    ) as offline:  # nothing listens there: an error from it was raised before sending
        model = "global.anthropic.claude-opus-4-6-v1"
        with pytest.raises(DocumentLimitError, match="101 pages"):
            offline.messages.create(model=model, max_tokens=64, messages=messages)
        with pytest.raises(DocumentLimitError, match="101 pages"):
            offline.messages.count_tokens(model=model, messages=messages)
