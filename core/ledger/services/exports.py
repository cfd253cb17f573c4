"""Background buku besar XLSX files (``LedgerExport``): a range of more lines than
``LEDGER_XLSX_SYNC_MAX_LINES`` takes longer to write than a request may last (openpyxl
costs ~120 µs a line), so the request records an export and a Celery task builds it;
the buku besar page lists it and serves the file once ready.

- ``ledger_export_request``: one queued or running export per user, account and range
  (asking again returns that one; the database holds the rule); the task is queued
  when the request's transaction commits.
- ``ledger_export_build``: the task's work: every line of the range read in one
  snapshot, written to a temporary file, then to the cooperative's storage; any failure
  marks the export failed with the error logged, never ready.
- ``ledger_export_download``: the audit row of a download.
- ``ledger_exports_cleanup``: exports older than ``LEDGER_EXPORT_KEEP_DAYS`` deleted
  (file and row); exports still queued or running after ``LEDGER_EXPORT_STALE_SECONDS``
  marked failed.

Why an export failed is kept as ``error_code`` (``EXPORT_ERRORS``, through
``core.common.said``) and said on the page in the reader's language
(``ledger_export_error_shown``); ``error`` keeps the text as said when stuck, or the
build's technical error (for the logs, not shown).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from datetime import date, timedelta

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.said import Said, said_register, said_shown

from .. import exports, reports, tables
from ..audit import LedgerAudit
from ..models import Account, LedgerExport
from ..tasks import ledger_export_build_task

log = logging.getLogger(__name__)

S = LedgerExport.Status

# Why an export failed, by ``LedgerExport.error_code`` (its database constraint lists them).
EXPORT_ERRORS = {
    "ledger_export.stale": lambda p: _(
        "Tidak selesai dalam batas waktu (pesan antrean hilang atau worker berhenti)."
    ),
    "ledger_export.build_failed": lambda p: _(
        "Kesalahan sistem saat membuat berkas; sudah dicatat untuk tim teknis."
    ),
}
said_register(EXPORT_ERRORS)


def ledger_export_error_shown(export: LedgerExport) -> str:
    """Why ``export`` failed, in the active language (the text it stored when it failed
    before codes)."""
    code = f"ledger_export.{export.error_code}" if export.error_code else None
    return said_shown({"code": code, "params": {}, "message": export.error})


def _stale_fail(qs) -> int:
    """Mark the exports of ``qs`` still queued or running after
    ``LEDGER_EXPORT_STALE_SECONDS`` failed (their message was lost or their worker
    died): the page stops showing them as under way and asking again starts anew."""
    cutoff = timezone.now() - timedelta(seconds=settings.LEDGER_EXPORT_STALE_SECONDS)
    said = Said("ledger_export.stale")
    n = qs.filter(status__in=LedgerExport.ACTIVE, created_at__lt=cutoff).update(
        status=S.FAILED, finished_at=timezone.now(), error=str(said), error_code="stale"
    )
    if n:
        log.warning("Marked %s stuck buku besar export(s) failed", n)
    return n


@transaction.atomic
def ledger_export_request(
    *, account: Account, date_from: date, date_to: date, line_count: int, by
) -> tuple[LedgerExport, bool]:
    """Record a background XLSX of ``account``'s buku besar for [date_from, date_to]
    (``line_count`` lines as counted now) and queue its task at commit. When ``by``
    already has one queued or running for the same account and range, that one is
    returned and nothing is queued. Returns ``(export, created)``."""
    key = {
        "account": account,
        "date_from": date_from,
        "date_to": date_to,
        "requested_by": by,
    }
    _stale_fail(LedgerExport.objects.filter(**key))
    existing = LedgerExport.objects.filter(**key, status__in=LedgerExport.ACTIVE).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # savepoint: a concurrent twin may win the constraint
            export = LedgerExport.objects.create(
                **key, line_count=line_count, language=translation.get_language() or ""
            )
    except IntegrityError:
        return LedgerExport.objects.get(**key, status__in=LedgerExport.ACTIVE), False
    audit_log(
        actor=by,
        action=LedgerAudit.EXPORT_REQUEST,
        target=export,
        data={
            "account": account.code,
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "lines": line_count,
        },
    )
    transaction.on_commit(lambda: ledger_export_build_task.delay(export.pk))
    return export, True


@contextlib.contextmanager
def _snapshot():
    """One read-only snapshot for the whole file (the head's totals and every chunk of
    lines see the same postings). Inside an outer transaction (tests) that transaction's
    own view is used."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _counted(rows, counter: list[int]):
    for row in rows:
        counter[0] += 1
        yield row


def ledger_export_build(*, export: LedgerExport) -> LedgerExport:
    """Write the export's XLSX (every line of its range, as the buku besar's XLSX
    download) and mark it ready with the number of lines written. An export already
    ready or failed is left alone (a task delivered twice, one marked stuck). Any error
    marks it failed with the error, logged at ERROR; the file is then not kept."""
    with transaction.atomic():
        export = LedgerExport.objects.select_for_update().get(pk=export.pk)
        if export.status not in LedgerExport.ACTIVE:
            return export
        export.status = S.RUNNING
        export.save(update_fields=["status"])
    stored = ""
    try:
        with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
            written = [0]
            with _snapshot(), translation.override(export.language or settings.LANGUAGE_CODE):
                data = reports.general_ledger_all(
                    account=export.account, date_from=export.date_from, date_to=export.date_to
                )
                data["rows"] = _counted(data["rows"], written)
                exports.table_xlsx_write(tables.general_ledger_table(data), tmp)
            if written[0] != data["count"]:
                raise RuntimeError(f"{written[0]} lines written, {data['count']} in the range")
            tmp.seek(0)
            stored = export.file.storage.save(
                export.file.field.generate_filename(export, "buku-besar.xlsx"), File(tmp)
            )
        with transaction.atomic():
            updated = LedgerExport.objects.filter(pk=export.pk, status=S.RUNNING).update(
                status=S.READY,
                file=stored,
                line_count=written[0],
                finished_at=timezone.now(),
                error="",
                error_code="",
            )
        if not updated:  # marked stuck meanwhile: the file is nobody's
            export.file.storage.delete(stored)
    except Exception as exc:
        log.exception(
            "Buku besar export %s (account %s, %s to %s) failed",
            export.pk,
            export.account_id,
            export.date_from,
            export.date_to,
        )
        if stored:
            with contextlib.suppress(Exception):
                export.file.storage.delete(stored)
        LedgerExport.objects.filter(pk=export.pk).update(
            status=S.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
            error_code="build_failed",
        )
    export.refresh_from_db()
    return export


@transaction.atomic
def ledger_export_download(*, export: LedgerExport, by) -> None:
    """The audit row of ``by`` taking ``export``'s file."""
    audit_log(
        actor=by,
        action=LedgerAudit.EXPORT_DOWNLOAD,
        target=export,
        data={
            "account": export.account.code,
            "date_from": export.date_from.isoformat(),
            "date_to": export.date_to.isoformat(),
            "lines": export.line_count,
        },
    )


def ledger_exports_cleanup(*, keep_days: int | None = None) -> int:
    """Delete the exports made more than ``keep_days`` (``LEDGER_EXPORT_KEEP_DAYS``)
    days ago, their files first; mark the stuck ones failed. Returns how many were
    deleted. A file already gone is not an error."""
    days = settings.LEDGER_EXPORT_KEEP_DAYS if keep_days is None else keep_days
    _stale_fail(LedgerExport.objects.all())
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    for export in LedgerExport.objects.filter(created_at__lt=cutoff).order_by("pk"):
        if export.file:
            export.file.storage.delete(export.file.name)
        export.delete()
        deleted += 1
    if deleted:
        log.info("Deleted %s buku besar export(s) older than %s days", deleted, days)
    return deleted
