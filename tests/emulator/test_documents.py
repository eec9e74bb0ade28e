"""PDFs on the emulator: real PDFs (reportlab) through InvokeModel with our client and
boto3, the answer quoting text pypdf extracted on the server (proof the bytes arrived
intact), and every limit the emulator enforces, on each side, with Bedrock's wording."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from claude_bedrock import AnthropicBedrock, documents
from claude_bedrock.catalog import Catalog
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.document_checks import check_converse_documents, document_text
from claude_bedrock.emulator.errors import BedrockError
from test_documents import make_pdf

from .conftest import MODEL, REGION, RawClient, body, error_of, invoke

LIMITS = Catalog.default().pdf_limits
PDF_ERROR = "messages.{i}.content.{j}.pdf.source.base64.data: "


@pytest.fixture
def client(emulator: Emulator) -> Iterator[AnthropicBedrock]:
    with AnthropicBedrock(
        aws_region=REGION, base_url=emulator.url,
        aws_access_key=emulator.access_key, aws_secret_key=emulator.secret_key,
    ) as c:  # fmt: skip
        yield c


def with_documents(*blocks: dict[str, Any], question: str = "Quote the document.") -> list[Any]:
    return [{"role": "user", "content": [*blocks, {"type": "text", "text": question}]}]


def raw_pdf_block(data: bytes) -> dict[str, Any]:
    """A document block built by hand (no client-side checks), as another SDK would send."""
    encoded = base64.b64encode(data).decode()
    source = {"type": "base64", "media_type": "application/pdf", "data": encoded}
    return {"type": "document", "source": source}


def validation_message(runtime: Any, payload: dict[str, Any]) -> str:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, payload)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(error["Message"])


# -- a PDF arrives intact -----------------------------------------------------------------


def test_pdf_through_our_client_is_quoted_by_the_engine(client: AnthropicBedrock) -> None:
    pdf = documents.pdf(make_pdf(3, "okapi"), title="Animals")
    message = client.messages.create(model=MODEL, max_tokens=300, messages=with_documents(pdf))
    text = message.content[0].text
    for page in (1, 2, 3):
        assert f"okapi-{page}" in text  # extracted by pypdf on the server side
    counted = client.messages.count_tokens(model=MODEL, messages=with_documents(pdf))
    assert counted.input_tokens == message.usage.input_tokens


def test_pdf_through_boto3_is_quoted_by_the_engine(runtime: Any) -> None:
    payload = body(max_tokens=300, messages=with_documents(raw_pdf_block(make_pdf(2, "quokka"))))
    text = invoke(runtime, payload)["content"][0]["text"]
    assert "quokka-1" in text and "quokka-2" in text


def test_pdf_through_a_stream(client: AnthropicBedrock) -> None:
    pdf = documents.pdf(make_pdf(2, "tapir"))
    with client.messages.stream(model=MODEL, max_tokens=300, messages=with_documents(pdf)) as s:
        final = s.get_final_message()
    assert "tapir-2" in final.content[0].text


def test_text_documents_are_quoted(runtime: Any) -> None:
    payload = body(max_tokens=300, messages=with_documents(documents.text("Ibex live high.")))
    assert "Ibex live high" in invoke(runtime, payload)["content"][0]["text"]


# -- InvokeModel limits on the emulator ----------------------------------------------------


def test_page_limit_per_request_each_side(runtime: Any) -> None:
    at_limit = body(messages=with_documents(raw_pdf_block(make_pdf(LIMITS.max_pages))))
    assert invoke(runtime, at_limit)["stop_reason"] in ("end_turn", "max_tokens")
    over = body(messages=with_documents(raw_pdf_block(make_pdf(LIMITS.max_pages + 1))))
    expected = f"A maximum of {LIMITS.max_pages} PDF pages may be provided."
    assert validation_message(runtime, over) == expected  # the bare sentence, as quoted


def test_page_limit_counts_all_documents(runtime: Any) -> None:
    first = raw_pdf_block(make_pdf(60, "one"))
    fits = body(messages=with_documents(first, raw_pdf_block(make_pdf(40, "two"))))
    invoke(runtime, fits)
    over = body(messages=with_documents(first, raw_pdf_block(make_pdf(41, "two"))))
    expected = f"A maximum of {LIMITS.max_pages} PDF pages may be provided."
    assert validation_message(runtime, over) == expected  # no location: the quotes have none


def test_invalid_pdf_is_refused(runtime: Any) -> None:
    broken = raw_pdf_block(b"%PDF-1.7 but nothing else")
    message = validation_message(runtime, body(messages=with_documents(broken)))
    assert message == PDF_ERROR.format(i=0, j=0) + "The PDF specified was not valid."
    not_base64 = raw_pdf_block(b"")
    not_base64["source"]["data"] = "***"
    assert "not valid" in validation_message(runtime, body(messages=with_documents(not_base64)))


def _sized_body(size: int) -> bytes:
    """An InvokeModel body of exactly ``size`` bytes (image blocks pad it, each within the
    model's 5 MB of base64 per image, so only the body's size is at stake)."""
    head = json.dumps(body(max_tokens=16))[:-1].encode()  # without the closing brace
    head = head.replace(b'"messages": [{"role": "user", "content": "Hello, world"}]', b"")
    start = head + b'"messages":[{"role":"user","content":['
    image = b'{"type":"image","source":{"type":"base64","media_type":"image/png","data":"%s"}},'
    end = b'{"type":"text","text":"Describe it."}]}]}'
    room = size - len(start) - len(end)
    count = -(-room // (5_000_000 + len(image) - 2))
    data = room - count * (len(image) - 2)
    sizes = [data // count + (1 if i < data % count else 0) for i in range(count)]
    return start + b"".join(image % (b"A" * n) for n in sizes) + end


def test_request_size_limit_each_side(raw: RawClient) -> None:
    limit = LIMITS.invoke_max_body_bytes
    path = f"/model/{MODEL}/invoke".replace(":", "%3A")
    for size, expected_status in ((limit, 200), (limit + 1, 400)):
        content = _sized_body(size)
        assert len(content) == size
        response = raw.http.post(path, content=content, headers=raw.signed("POST", path, content))
        assert response.status_code == expected_status, response.text[:300]
    assert error_of(response)[1] == "ValidationException"  # Bedrock's (langchain-aws #419)


# -- Converse, end to end -------------------------------------------------------------------


def converse_content(*docs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [*docs, {"text": "Quote the document."}]}]


def test_pdf_through_converse_with_our_client(client: AnthropicBedrock) -> None:
    block = documents.converse_pdf(make_pdf(3, "walrus"), name="Sea animals")
    answer = client.converse.create(
        modelId=MODEL, messages=converse_content(block), inferenceConfig={"maxTokens": 300}
    )
    text = answer.output.message.content[0].text
    assert text is not None and all(f"walrus-{n}" in text for n in (1, 2, 3))


def test_pdf_through_converse_with_boto3(runtime: Any) -> None:
    document = {"format": "pdf", "name": "Birds", "source": {"bytes": make_pdf(2, "puffin")},
                "citations": {"enabled": True}}  # fmt: skip
    answer = runtime.converse(
        modelId=MODEL, messages=converse_content({"document": document}),
        inferenceConfig={"maxTokens": 300},
    )  # fmt: skip
    text = answer["output"]["message"]["content"][0]["text"]
    assert "puffin-1" in text and "puffin-2" in text


def _converse_refusal(runtime: Any, *docs: dict[str, Any]) -> str:
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId=MODEL, messages=converse_content(*docs))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return str(caught.value.response["Error"]["Message"])


def _boto_doc(name: str, pages: int = 1) -> dict[str, Any]:
    data = make_pdf(pages, name.replace(" ", ""))
    return {"document": {"format": "pdf", "name": name, "source": {"bytes": data},
                         "citations": {"enabled": True}}}  # fmt: skip


def test_converse_limits_through_boto3(runtime: Any) -> None:
    most = LIMITS.converse_max_documents
    runtime.converse(modelId=MODEL, messages=converse_content(
        *[_boto_doc(f"d {i}") for i in range(most)]))  # fmt: skip
    too_many = _converse_refusal(runtime, *[_boto_doc(f"d {i}") for i in range(most + 1)])
    assert too_many == f"You can't include more than {most} documents in a request."
    assert _converse_refusal(runtime, _boto_doc("twin"), _boto_doc("twin")) == (
        "Messages can't contain duplicate document names."
    )
    assert "file name can only contain" in _converse_refusal(runtime, _boto_doc("notes.pdf"))
    pages = _converse_refusal(runtime, _boto_doc("one", 60), _boto_doc("two", 41))
    assert pages.endswith(f"A maximum of {LIMITS.max_pages} PDF pages may be provided.")
    runtime.converse(modelId=MODEL, messages=converse_content(
        _boto_doc("one", 60), _boto_doc("two", 40)))  # fmt: skip


# -- Converse document rules (the checks the Converse routes run) --------------------------


def _converse(*documents_: dict[str, Any]) -> dict[str, Any]:
    content = [{"document": d} for d in documents_] + [{"text": "Summarise."}]
    return {"messages": [{"role": "user", "content": content}]}


def _doc(name: str, pages: int = 1, fmt: str = "pdf") -> dict[str, Any]:
    data = base64.b64encode(make_pdf(pages, name.replace(" ", ""))).decode()
    return {"format": fmt, "name": name, "source": {"bytes": data}}


def _bedrock_message(payload: dict[str, Any], model: str = "") -> str:
    info = Catalog.default().identify(model) if model else None
    with pytest.raises(BedrockError) as caught:
        check_converse_documents(payload, info)
    assert caught.value.error_type == "ValidationException"
    return caught.value.message


def test_converse_rules_with_bedrock_wording() -> None:
    most = LIMITS.converse_max_documents
    check_converse_documents(_converse(*[_doc(f"d {i}") for i in range(most)]), None)
    assert _bedrock_message(_converse(*[_doc(f"d {i}") for i in range(most + 1)])) == (
        f"You can't include more than {most} documents in a request."
    )
    assert _bedrock_message(_converse(_doc("same"), _doc("same"))) == (
        "Messages can't contain duplicate document names."
    )
    assert _bedrock_message(_converse(_doc("report.pdf"))).startswith(
        "The document file name can only contain alphanumeric characters"
    )
    no_text = {"messages": [{"role": "user", "content": [{"document": _doc("alone")}]}]}
    assert "text" in _bedrock_message(no_text)
    pages = _bedrock_message(_converse(_doc("one", 60), _doc("two", 41)))
    assert pages.endswith(f"A maximum of {LIMITS.max_pages} PDF pages may be provided.")
    check_converse_documents(_converse(_doc("one", 60), _doc("two", 40)), None)


def test_converse_pdf_size_limit_lifted_for_claude_4() -> None:
    big = make_pdf(1) + b"\n%" + b"p" * LIMITS.converse_max_document_bytes
    document = {"format": "pdf", "name": "big",
                "source": {"bytes": base64.b64encode(big).decode()}}  # fmt: skip
    check_converse_documents(_converse(document), Catalog.default().identify(MODEL))
    assert "maximum document size" in _bedrock_message(
        _converse(document), "anthropic.claude-3-haiku-20240307-v1:0"
    )


def test_document_text_of_every_source_shape() -> None:
    pdf = make_pdf(2, "lynx")
    assert "lynx-2" in document_text(raw_pdf_block(pdf))
    assert "lynx-1" in document_text({"format": "pdf", "source": {"bytes": pdf}})
    assert document_text(documents.text("plain")) == "plain"
    parts = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    content = {"type": "document", "source": {"type": "content", "content": parts}}
    assert document_text(content) == "a\nb"
    assert document_text({"format": "txt", "source": {"text": "converse text"}}) == "converse text"
    assert document_text({"type": "document"}) == ""
