"""Reading a PDF a page answered with, as a reader sees its text."""

import io

from pypdf import PdfReader


def pdf_text(response) -> str:
    """The text of a PDF response (200, ``application/pdf``), its whitespace folded to
    single spaces: a long line wraps where the layout wants, a test reads words."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf", response["Content-Type"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())
