"""Real files for the Converse tests: a PDF made by reportlab, a PNG made by hand."""

from __future__ import annotations

import io
import struct
import zlib


def make_pdf(pages: int, word: str) -> bytes:
    """A real PDF (reportlab) whose page ``n`` says ``{word}-{n}``."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for page in range(1, pages + 1):
        pdf.drawString(72, 720, f"{word}-{page}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG (RGB, one red pixel repeated), built by hand with zlib and struct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(rows)),
            chunk(b"IEND", b""),
        )
    )
