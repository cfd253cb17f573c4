"""Manual journal entries, posted at once or through an approval by a second user."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, reason_required
from core.common.permissions import TREASURY
from core.ledger.audit import LedgerAudit

from ..errors import LedgerErrors as E
from ..models import (
    Account,
    JournalEntry,
    LedgerSettings,
    ManualEntryRequest,
)
from .common import LineSpec, _require
from .fiscal import _open_period_for, books_closed_until
from .posting import _post, _resolve_accounts, _validated_amounts, posting_months_lock

# --------------------------------------------------------------------------- manual entries


def _lines_to_json(lines: Sequence[LineSpec]) -> list[dict]:
    return [
        {
            "account": s.account.code if isinstance(s.account, Account) else s.account,
            "debit": str(s.debit),
            "credit": str(s.credit),
            "member_id": s.member_id,
            "memo": s.memo,
        }
        for s in lines
    ]


def _lines_from_json(data: list[dict]) -> list[LineSpec]:
    return [
        LineSpec(
            account=d["account"],
            debit=Decimal(d.get("debit") or "0"),
            credit=Decimal(d.get("credit") or "0"),
            member_id=d.get("member_id"),
            memo=d.get("memo") or "",
        )
        for d in data
    ]


@transaction.atomic
def manual_entry_submit(
    *, on: date, description: str, lines: Sequence[LineSpec], by
) -> JournalEntry | ManualEntryRequest:
    """A manual journal entry by staff: posted at once, or — when the cooperative turns
    approval on — stored as a request for another treasury user to approve."""
    _require(by, TREASURY, _("membuat jurnal manual"))
    if not LedgerSettings.get().manual_entry_approval:
        return _post(
            on=on,
            description=description,
            lines=lines,
            source=JournalEntry.Source.MANUAL,
            source_ref="",
            by=by,
        )
    # Validate now so the approver sees a postable entry (rechecked at approval).
    if not (description or "").strip():
        raise ApplicationError(
            E.DESCRIPTION_REQUIRED,
            _("Uraian jurnal wajib diisi."),
            fields={"description": [_("Wajib diisi.")]},
        )
    if len(lines) < 2:
        raise ApplicationError(E.NO_LINES, _("Jurnal harus punya paling sedikit dua baris."))
    _validated_amounts(lines)
    _resolve_accounts(lines, source=JournalEntry.Source.MANUAL)
    # the month's row FOR SHARE (its year's first), as a posting's trigger takes it, and
    # checked under that lock: a close of this month or a later one (which locks every
    # earlier open month FOR UPDATE) either waits for this request and sees it, refusing
    # (period_manual_entry_pending), or commits first and the request is refused
    # (period_closed). Never a request born in a closed month, which no one could approve
    posting_months_lock(dates=[on])
    _open_period_for(on)
    req = ManualEntryRequest.objects.create(
        date=on,
        description=description.strip(),
        lines=_lines_to_json(lines),
        requested_by=by,
    )
    audit_log(actor=by, action=LedgerAudit.MANUAL_SUBMIT, target=req)
    return req


_UNREAD = object()


def manual_request_books_closed(
    req: ManualEntryRequest, *, closed_until: date | None | object = _UNREAD
) -> ApplicationError | None:
    """Why a pending ``req`` can never be approved: it is dated on or before the end of
    the latest closed month (old data: made before such a request was refused when made),
    so its entry could not be posted (``period_closed``); it can only be rejected. The
    request's page asks it before offering the approve button, Jurnal umum's list and the
    API's list of waiting requests for each (passing ``closed_until`` =
    ``books_closed_until()`` read once for all). ``fields``: ``books_closed_until`` (ISO).
    None otherwise."""
    if closed_until is _UNREAD:
        closed_until = books_closed_until()
    if closed_until is None or req.date > closed_until:
        return None
    return ApplicationError(
        E.REQUEST_BOOKS_CLOSED,
        _(
            "Permintaan #%(n)s tanggal %(d)s tidak dapat disetujui: buku sudah ditutup "
            "sampai %(c)s, jadi jurnalnya tidak dapat diposting lagi. Tolak permintaan "
            "ini; bila jurnalnya masih diperlukan, buat jurnal manual baru bertanggal "
            "sesudah tanggal itu."
        )
        % {"n": req.pk, "d": format_tanggal(req.date), "c": format_tanggal(closed_until)},
        fields={"books_closed_until": closed_until.isoformat()},
        status=409,
    )


@transaction.atomic
def manual_entry_approve(*, request: ManualEntryRequest, by) -> JournalEntry:
    _require(by, TREASURY | {"ketua"}, _("menyetujui jurnal manual"))
    req = ManualEntryRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != ManualEntryRequest.Status.PENDING:
        raise ApplicationError(E.REQUEST_STATE, _("Permintaan ini sudah diputuskan."))
    if req.requested_by_id == getattr(by, "pk", None):
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Jurnal manual harus disetujui oleh pengguna lain."),
            status=403,
        )
    refusal = manual_request_books_closed(req)
    if refusal is not None:
        raise refusal
    entry = _post(
        on=req.date,
        description=req.description,
        lines=_lines_from_json(req.lines),
        source=JournalEntry.Source.MANUAL,
        source_ref=f"request:{req.pk}",
        by=by,
    )
    req.status = ManualEntryRequest.Status.APPROVED
    req.decided_by = by
    req.decided_at = timezone.now()
    req.entry = entry
    req.save()
    audit_log(actor=by, action=LedgerAudit.MANUAL_APPROVE, target=req, data={"entry": str(entry)})
    return entry


@transaction.atomic
def manual_entry_reject(*, request: ManualEntryRequest, reason: str, by) -> ManualEntryRequest:
    _require(by, TREASURY | {"ketua"}, _("menolak jurnal manual"))
    reason = reason_required(
        reason, code=E.REASON_REQUIRED, message=_("Alasan penolakan wajib diisi.")
    )
    req = ManualEntryRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != ManualEntryRequest.Status.PENDING:
        raise ApplicationError(E.REQUEST_STATE, _("Permintaan ini sudah diputuskan."))
    req.status = ManualEntryRequest.Status.REJECTED
    req.decided_by = by
    req.decided_at = timezone.now()
    req.decision_reason = reason
    req.save()
    audit_log(actor=by, action=LedgerAudit.MANUAL_REJECT, target=req, reason=reason)
    return req


def previous_day(d: date) -> date:
    return d - timedelta(days=1)
