"""Documents rendered to PDF with WeasyPrint from a Django template, in Bahasa Indonesia
(receipts and statements are the cooperative's documents, whatever the screen language),
with the current cooperative in the context as ``cooperative``."""

from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation


def render_pdf(template: str, context: dict) -> bytes:
    # lazy: weasyprint takes over a second to import (Pango, fonts); only PDFs need it
    from weasyprint import HTML

    with translation.override("id"):
        html = render_to_string(template, {"cooperative": connection.tenant, **context})
    return HTML(string=html).write_pdf()
