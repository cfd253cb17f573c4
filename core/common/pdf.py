"""Documents rendered to PDF with WeasyPrint from a Django template, in Bahasa Indonesia
(receipts and letters are the cooperative's documents, whatever the screen language)
unless the caller names the reader's language (the member's kartu simpanan), with the
current cooperative in the context as ``cooperative``.

Every PDF of the cooperative layer goes through :func:`html_to_pdf`: inside a practice
copy ("Ruang latihan") it adds a LATIHAN mark to every page — a banner at the top and a
faint diagonal watermark, in the practice copies' purple that no real page uses — so a
practice receipt or RAT pack can never pass for a real one. ``core`` knows it is in a
practice copy from the tenant on the connection (``core.common.practice``)."""

from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation

from .practice import PRACTICE_COLOUR, in_practice_copy

# A user stylesheet: ``!important`` so that it wins over the documents' own @page rules.
# The banner sits in the top margin box, which no document template uses; the watermark
# is a fixed box, which WeasyPrint repeats on every page.
PRACTICE_CSS = f"""
@page {{
  @top-center {{
    content: "LATIHAN \\2014  data contoh, bukan dokumen koperasi" !important;
    color: #{PRACTICE_COLOUR} !important; font: bold 9pt sans-serif !important;
    letter-spacing: .12em !important; border-bottom: 2px solid #{PRACTICE_COLOUR} !important;
    vertical-align: bottom !important; padding-bottom: 1mm !important;
  }}
}}
html::before {{
  content: "LATIHAN" !important; position: fixed !important; display: block !important;
  top: 40% !important; left: 0 !important; right: 0 !important; text-align: center !important;
  transform: rotate(-30deg) !important; font: bold 96pt sans-serif !important;
  letter-spacing: .1em !important; color: #{PRACTICE_COLOUR} !important;
  opacity: .13 !important; z-index: 1000 !important;
}}
"""


def html_to_pdf(html: str) -> bytes:
    """The one place a cooperative's HTML becomes a PDF (marked LATIHAN in a practice
    copy)."""
    # lazy: weasyprint takes over a second to import (Pango, fonts); only PDFs need it
    from weasyprint import CSS, HTML

    stylesheets = [CSS(string=PRACTICE_CSS)] if in_practice_copy() else None
    return HTML(string=html).write_pdf(stylesheets=stylesheets)


def render_html(template: str, context: dict, *, language: str = "id") -> str:
    """The HTML ``render_pdf`` makes a PDF of (a test reads its laid-out pages)."""
    with translation.override(language):
        return render_to_string(template, {"cooperative": connection.tenant, **context})


def render_pdf(template: str, context: dict, *, language: str = "id") -> bytes:
    """``template`` rendered in ``language`` (Indonesian unless a document is printed in
    its reader's language) and made a PDF."""
    return html_to_pdf(render_html(template, context, language=language))
