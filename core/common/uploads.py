"""One upload policy for files people send us (loan documents, transfer proofs): the
type by content *and* extension (both must agree: a PDF named .pdf that starts with
``%PDF-``), a size limit, and a storage path under the cooperative's own directory
(``<schema>/<area>/<yyyy>/<mm>/<random>.<ext>``), never the client's file name.
Which states of the owning object accept uploads is the caller's rule."""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ApplicationError
from .text import control_characters_removed

# extension -> the bytes a real file of that type starts with
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
DOCUMENT_TYPES = ("pdf", "png", "jpg", "jpeg")
UPLOAD_INVALID = "upload_invalid"


def upload_check(
    upload,
    *,
    field: str = "file",
    allowed: tuple[str, ...] = DOCUMENT_TYPES,
    max_bytes: int | None = None,
    code: str = UPLOAD_INVALID,
) -> str:
    """Refuse (ApplicationError naming ``field``) an empty or too large file, an
    extension outside ``allowed``, or content that is not what its extension says.
    Returns the extension."""
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    if upload is None or not getattr(upload, "size", 0):
        raise ApplicationError(code, _("Pilih berkas."), fields={field: [_("Wajib diisi.")]})
    if upload.size > limit:
        raise ApplicationError(
            code,
            _("Berkas terlalu besar (maksimal %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            fields={field: [_("Berkas terlalu besar.")]},
        )
    ext = os.path.splitext(getattr(upload, "name", "") or "")[1].lower().lstrip(".")
    kinds = ", ".join(sorted({k.upper() for k in allowed if k != "jpeg"}))
    if ext not in allowed:
        raise ApplicationError(
            code,
            _("Jenis berkas harus %(kinds)s.") % {"kinds": kinds},
            fields={field: [_("Jenis berkas tidak didukung.")]},
        )
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES[ext]):
        raise ApplicationError(
            code,
            _("Isi berkas bukan %(ext)s.") % {"ext": ext.upper()},
            fields={field: [_("Isi berkas tidak sesuai jenisnya.")]},
        )
    return ext


def upload_file_name(name: str | None, *, default: str) -> str:
    """A client's file name as kept to label its upload (an import's list and page, its
    audit row): without control characters, at most 255 characters; ``default`` when
    nothing is left. Only a label (the upload is its content), so a control character is
    dropped, not refused; Django's multipart parser drops non-printable characters from
    an HTTP upload's name already, this holds for every other caller of a service."""
    return control_characters_removed(name or "").strip()[:255] or default


def _month_dir() -> str:
    """``2026/04``: the cooperative's month today (Asia/Jakarta), not UTC's, which is
    still the month before from 00:00 to 07:00 WIB on the 1st."""
    return f"{timezone.localdate():%Y/%m}"


def _tenant_path(area: str, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()[:6]
    schema = getattr(connection, "schema_name", "public") or "public"
    return f"{schema}/{area}/{_month_dir()}/{uuid.uuid4().hex}{ext}"


def loan_document_path(instance, filename: str) -> str:
    """upload_to of LoanDocument.file: under the cooperative's schema directory."""
    return _tenant_path("loans", filename)


def onboarding_document_path(instance, filename: str) -> str:
    """upload_to of a move-in adjustment's supporting document."""
    return _tenant_path("onboarding", filename)


def ledger_export_path(instance, filename: str) -> str:
    """upload_to of a background buku besar XLSX (core.ledger LedgerExport)."""
    return _tenant_path("ledger", filename)


def payment_proof_path(instance, filename: str) -> str:
    """upload_to of billing's PaymentProof.file: under the cooperative's directory."""
    schema = instance.invoice.subscription.cooperative.schema_name
    ext = os.path.splitext(filename)[1].lower()[:6]
    return f"{schema}/billing/proofs/{_month_dir()}/{uuid.uuid4().hex}{ext}"
