"""Closing and reopening months (with a reason), and the year close that rolls income and
expense into SHU."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_tanggal
from core.common.errors import ApplicationError, reason_required
from core.common.permissions import SETTINGS_ADMINS, TREASURY
from core.ledger.audit import LedgerAudit
from core.ledger.close_guards import close_lock, close_refusal

from ..errors import LedgerErrors as E
from ..models import (
    Account,
    FiscalYear,
    JournalEntry,
    ManualEntryRequest,
    Period,
)
from ..reports import cash_flow_month_store
from ..selectors import account_for_role, manual_requests_pending, totals_as_of
from .common import ZERO, LineSpec, _require, _user_or_none
from .fiscal import books_closed_until
from .posting import _post

# --------------------------------------------------------------------------- periods


def period_not_ended(period: Period) -> ApplicationError | None:
    """Why ``period`` may not be closed yet: its last day is after today (the
    cooperative's time zone), as a year that has not ended cannot be closed. Closing it
    early would refuse every posting dated later in it (teller deposits, the daily
    arrears run, payroll). None once today is its last day or later."""
    if period.end_date <= timezone.localdate():
        return None
    return ApplicationError(
        E.PERIOD_NOT_ENDED,
        _("Periode %(p)s belum berakhir; dapat ditutup mulai %(d)s.")
        % {"p": format_bulan(period.start_date), "d": format_tanggal(period.end_date)},
        fields={"closable_from": period.end_date.isoformat()},
    )


def _request_name(r: ManualEntryRequest) -> str:
    return _("#%(n)s tanggal %(d)s") % {"n": r.pk, "d": format_tanggal(r.date)}


def manual_requests_reject_only_note() -> str:
    """The sentence naming the waiting requests that can only be rejected (``%(r)s``
    their names, ``%(c)s`` the end of the latest closed month): the refusals' and the
    year end's close checklist's."""
    return _(
        "Permintaan %(r)s bertanggal dalam buku yang sudah ditutup (sampai %(c)s), "
        "jadi tidak dapat disetujui lagi, hanya ditolak."
    )


def manual_requests_refusal(
    *, up_to: date, code: str, approvable: str, reject_only: str, params: dict
) -> ApplicationError | None:
    """The refusal (409 ``code``) of closing the books up to ``up_to`` while manual entry
    requests dated on or before it wait for approval; None when none waits.

    A request dated on or before the end of the latest closed month (old data: made
    before such a request was refused when made) can never be approved, only rejected:
    it is named apart. ``approvable``: the caller's message for the requests that may
    still be approved or rejected (``%(r)s`` their names, ``%(d)s`` ``up_to``, ``%(n)s``
    how many wait, and ``params``); ``reject_only``: its message when every request waiting is of the other
    kind (``%(r)s``, ``%(c)s`` the end of the latest closed month, ``%(n)s``, and ``params``). When
    both kinds wait: ``approvable`` followed by a sentence naming the others as only to
    be rejected. ``fields``: ``requests`` (every one waiting, oldest first) and, when
    there are any, ``reject_only``."""
    waiting = manual_requests_pending(up_to=up_to)
    if not waiting:
        return None
    params = {"n": len(waiting), **params}
    closed_until = books_closed_until()
    stuck = [_request_name(r) for r in waiting if closed_until and r.date <= closed_until]
    rest = [_request_name(r) for r in waiting if not closed_until or r.date > closed_until]
    named = [_request_name(r) for r in waiting]
    closed = format_tanggal(closed_until) if closed_until else ""
    fields: dict = {"requests": named}
    if stuck:
        fields["reject_only"] = stuck
    if not rest:
        message = reject_only % {**params, "r": ", ".join(stuck), "c": closed}
    else:
        message = approvable % {**params, "r": ", ".join(rest), "d": format_tanggal(up_to)}
        if stuck:
            message += " " + manual_requests_reject_only_note() % {
                "r": ", ".join(stuck),
                "c": closed,
            }
    return ApplicationError(code, message, fields=fields, status=409)


def period_pending_requests(period: Period) -> ApplicationError | None:
    """Why ``period`` may not be closed while manual entry requests wait: one dated in
    it or in an earlier month would never be approved once it is closed (nothing is
    posted on or before the latest closed month), only rejected; one dated in the books
    closed already is named as only to be rejected. None when none waits."""
    return manual_requests_refusal(
        up_to=period.end_date,
        code=E.MANUAL_PENDING,
        approvable=_(
            "Periode %(p)s tidak dapat ditutup: permintaan jurnal manual bertanggal sampai "
            "%(d)s masih menunggu persetujuan (%(r)s). Sesudah periode ditutup, permintaan "
            "itu tidak dapat diposting lagi. Setujui atau tolak dulu di Jurnal umum, lalu "
            "tutup periode."
        ),
        reject_only=_(
            "Periode %(p)s tidak dapat ditutup: permintaan jurnal manual %(r)s masih "
            "menunggu persetujuan, tetapi bertanggal dalam buku yang sudah ditutup (sampai "
            "%(c)s), jadi tidak dapat disetujui lagi. Tolak dulu di Jurnal umum, lalu tutup "
            "periode."
        ),
        params={"p": format_bulan(period.start_date)},
    )


@transaction.atomic
def period_close(*, period: Period, by) -> Period:
    """Close a month: no more postings dated in it."""
    _require(by, TREASURY, _("menutup periode"))
    close_lock()  # before the guard reads: a move-in started meanwhile waits, or is seen
    # this month and every earlier month still open, oldest first: closing it puts them
    # behind the books' closed date, and a posting dated in one of them holds its month
    # FOR SHARE (the entry trigger, ledger 0023) until it commits — the close waits for
    # it, and one that comes after waits for the close and is refused
    list(
        Period.objects.select_for_update()
        .filter(Q(pk=period.pk) | Q(end_date__lt=period.end_date, status=Period.Status.OPEN))
        .order_by("start_date")
        .values_list("pk", flat=True)
    )
    period = Period.objects.get(pk=period.pk)
    if period.status == Period.Status.CLOSED:
        raise ApplicationError(
            E.PERIOD_STATE,
            _("Periode %(p)s sudah ditutup.") % {"p": format_bulan(period.start_date)},
        )
    not_ended = period_not_ended(period)
    if not_ended is not None:
        raise not_ended
    refusal = close_refusal(period.end_date)  # an unfinished move-in's cut-over in it
    if refusal is not None:
        raise refusal
    # read under the months' locks: a request being made in one of them holds its month
    # FOR SHARE (manual_entry_submit), so the close waits for it and sees it
    pending = period_pending_requests(period)
    if pending is not None:
        raise pending
    period.status = Period.Status.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = _user_or_none(by)
    period.save(update_fields=["status", "closed_at", "closed_by"])
    cash_flow_month_store(month=period.start_date)
    audit_log(actor=by, action=LedgerAudit.PERIOD_CLOSE, target=period)
    return period


def _income_expense_balances(*, year: int) -> list[tuple[Account, Decimal]]:
    """Signed (debit − credit) cumulative balance of each income/expense account at the
    year's end. Earlier years are closed, so this is the year's result."""
    totals = totals_as_of(date(year, 12, 31))
    out = []
    for acc in Account.objects.filter(type__in=[Account.Type.INCOME, Account.Type.EXPENSE]):
        d, c = totals.get(acc.pk, (ZERO, ZERO))
        if d != c:
            out.append((acc, d - c))
    return out


@transaction.atomic
def fiscal_year_close(
    *,
    fiscal_year: FiscalYear,
    by,
    before_close: Callable[[FiscalYear], None] | None = None,
    after_close: Callable[[FiscalYear, JournalEntry | None], None] | None = None,
    by_year_end: bool = False,
) -> FiscalYear:
    """Year close: income and expense accounts are rolled into SHU tahun berjalan by a
    closing entry dated the last day of the year; every month and the year are locked.

    ``before_close(fy)`` and ``after_close(fy, closing_entry)`` run in the same
    transaction while December is open, before and after the closing entry (the year end
    posts the income tax before it and moves the SHU to *SHU belum dibagi* after it).
    ``by_year_end=True`` (the year end's close) marks the year ``closed_by_year_end``:
    ``period_reopen`` then reopens it only when the year end asks, whatever the SHU."""
    _require(by, TREASURY, _("menutup tahun buku"))
    close_lock()  # before the guard reads (and before the year's row: one lock order)
    fy = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
    if fy.status == FiscalYear.Status.CLOSED:
        raise ApplicationError(E.PERIOD_STATE, _("Tahun buku %(y)s sudah ditutup.") % {"y": fy})
    if fy.end_date > timezone.localdate():
        raise ApplicationError(
            E.PERIOD_STATE,
            _("Tahun buku %(y)s belum berakhir.") % {"y": fy},
        )
    if FiscalYear.objects.filter(year__lt=fy.year, status=FiscalYear.Status.OPEN).exists():
        raise ApplicationError(
            E.YEAR_ORDER, _("Tutup dulu tahun buku sebelumnya sebelum menutup %(y)s.") % {"y": fy}
        )
    refusal = close_refusal(fy.end_date)  # an unfinished move-in's cut-over in the year
    if refusal is not None:
        raise refusal
    # as the month close: a request dated in the year could never be approved
    pending = manual_requests_refusal(
        up_to=fy.end_date,
        code=E.MANUAL_PENDING,
        approvable=_(
            "Tahun buku %(y)s tidak dapat ditutup: permintaan jurnal manual bertanggal "
            "sampai %(d)s masih menunggu persetujuan (%(r)s). Sesudah tahun buku "
            "ditutup, permintaan itu tidak dapat diposting lagi. Setujui atau tolak dulu "
            "di Jurnal umum, lalu tutup tahun buku."
        ),
        reject_only=_(
            "Tahun buku %(y)s tidak dapat ditutup: permintaan jurnal manual %(r)s masih "
            "menunggu persetujuan, tetapi bertanggal dalam buku yang sudah ditutup (sampai "
            "%(c)s), jadi tidak dapat disetujui lagi. Tolak dulu di Jurnal umum, lalu tutup "
            "tahun buku."
        ),
        params={"y": fy.year},
    )
    if pending is not None:
        raise pending
    shu_account = account_for_role("shu_current_year")
    # The closing entry goes into December, even if that month was already closed.
    Period.objects.filter(fiscal_year=fy, month=12).update(status=Period.Status.OPEN)
    if before_close is not None:
        before_close(fy)
    balances = _income_expense_balances(year=fy.year)
    entry = None
    if balances:
        lines = []
        net = ZERO  # debit − credit over income/expense (negative = surplus)
        for acc, signed in balances:
            net += signed
            if signed > 0:
                lines.append(LineSpec(account=acc, credit=signed, memo="Penutupan"))
            else:
                lines.append(LineSpec(account=acc, debit=-signed, memo="Penutupan"))
        if net < 0:
            lines.append(LineSpec(account=shu_account, credit=-net, memo="SHU tahun berjalan"))
        elif net > 0:
            lines.append(LineSpec(account=shu_account, debit=net, memo="Defisit tahun berjalan"))
        closings = JournalEntry.objects.filter(
            source=JournalEntry.Source.CLOSING, fiscal_year=fy.year
        ).count()
        entry = _post(
            on=fy.end_date,
            description=f"Penutupan tahun buku {fy.year}: pendapatan dan beban ke SHU tahun berjalan",
            lines=lines,
            source=JournalEntry.Source.CLOSING,
            source_ref=f"{fy.year}:{closings + 1}",
            by=by,
            audit_action="ledger.entry.closing",
        )
    if after_close is not None:
        after_close(fy, entry)
    now = timezone.now()
    months = list(
        Period.objects.filter(fiscal_year=fy, status=Period.Status.OPEN).values_list(
            "start_date", flat=True
        )
    )
    Period.objects.filter(fiscal_year=fy, status=Period.Status.OPEN).update(
        status=Period.Status.CLOSED, closed_at=now, closed_by=_user_or_none(by)
    )
    for month in months:
        cash_flow_month_store(month=month)
    fy.status = FiscalYear.Status.CLOSED
    fy.closed_at = now
    fy.closed_by = _user_or_none(by)
    fy.closing_entry = entry
    fy.closed_by_year_end = by_year_end
    fy.save(
        update_fields=["status", "closed_at", "closed_by", "closing_entry", "closed_by_year_end"]
    )
    audit_log(
        actor=by,
        action=LedgerAudit.YEAR_CLOSE,
        target=fy,
        data={"closing_entry": str(entry) if entry else None},
    )
    return fy


def year_closed_by_year_end(fy: FiscalYear) -> ApplicationError | None:
    """Why the ledger may not reopen ``fy`` (a month of it): the year end closed it, so
    only the year end's reopen (admin, with a reason) opens it, reversing its income tax
    and its move to SHU belum dibagi with the closing entry; the ledger's own reopen would
    leave them, and the year end's row saying closed. None for a year open, or closed by
    the ledger alone (existing data). Also an SHU move not reversed (data from before the
    mark) counts."""
    if fy.status != FiscalYear.Status.CLOSED:
        return None
    if not fy.closed_by_year_end and not (
        JournalEntry.objects.filter(
            source=JournalEntry.Source.SHU,
            fiscal_year=fy.year,
            source_ref__startswith=f"yearend:{fy.year}:transfer:",
            reversals__isnull=True,
        ).exists()
    ):
        return None
    page = settings.LEDGER_YEAR_CLOSE_URL
    return ApplicationError(
        E.YEAR_CLOSED_BY_YEAR_END,
        _(
            "Tahun buku %(y)s ditutup lewat menu Tutup buku & SHU; buka kembali di sana "
            "(khusus admin, dengan alasan): pajak penghasilan dan SHU belum dibagi ikut dibalik."
        )
        % {"y": fy.year},
        fields={"reopen_page": page.format(year=fy.year)} if page else {},
        status=409,
    )


@transaction.atomic
def period_reopen(*, period: Period, reason: str, by, by_year_end: bool = False) -> Period:
    """Admin only. Reopen a closed month; if its year is closed, the year is reopened
    too and its closing entry reversed (income and expense come back).

    A year closed by the year end (``FiscalYear.closed_by_year_end``; whatever its SHU:
    a surplus, a deficit or zero) is reopened there only, which reverses its income tax
    and its move to SHU belum dibagi too (``by_year_end=True``), and clears the mark."""
    _require(by, SETTINGS_ADMINS, _("membuka kembali periode (khusus admin)"))
    reason = reason_required(
        reason, code=E.REASON_REQUIRED, message=_("Alasan membuka kembali periode wajib diisi.")
    )
    # the year's row before the month's, as a posting (its number counter, then the
    # month's row in the entry trigger) and the year close take them: no deadlock
    fy_id = Period.objects.values_list("fiscal_year_id", flat=True).get(pk=period.pk)
    fy = FiscalYear.objects.select_for_update().get(pk=fy_id)
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.status == Period.Status.OPEN and fy.status == FiscalYear.Status.OPEN:
        raise ApplicationError(
            E.PERIOD_STATE,
            _("Periode %(p)s masih terbuka.") % {"p": format_bulan(period.start_date)},
        )
    if fy.status == FiscalYear.Status.CLOSED:
        if not by_year_end:
            refusal = year_closed_by_year_end(fy)
            if refusal is not None:
                raise refusal
        if FiscalYear.objects.filter(year__gt=fy.year, status=FiscalYear.Status.CLOSED).exists():
            raise ApplicationError(
                E.YEAR_ORDER,
                _("Buka dulu tahun buku sesudahnya sebelum membuka %(y)s.") % {"y": fy},
            )
        Period.objects.filter(fiscal_year=fy, month=12).update(status=Period.Status.OPEN)
        if fy.closing_entry_id:
            closing = JournalEntry.objects.get(pk=fy.closing_entry_id)
            lines = [
                LineSpec(
                    account=Account(pk=ln.account_id),
                    debit=ln.credit,
                    credit=ln.debit,
                    memo=ln.memo,
                )
                for ln in closing.lines.order_by("id")
            ]
            n = JournalEntry.objects.filter(
                source=JournalEntry.Source.CLOSING, fiscal_year=fy.year
            ).count()
            _post(
                on=fy.end_date,
                description=f"Pembatalan penutupan tahun buku {fy.year}: {reason}",
                lines=lines,
                source=JournalEntry.Source.CLOSING,
                source_ref=f"{fy.year}:{n + 1}",
                by=by,
                reverses=closing,
                audit_action="ledger.entry.closing_reverse",
                audit_reason=reason,
            )
        if period.month != 12:
            Period.objects.filter(fiscal_year=fy, month=12).update(status=Period.Status.CLOSED)
        fy.status = FiscalYear.Status.OPEN
        fy.closing_entry = None
        fy.closed_by_year_end = False
        fy.save(update_fields=["status", "closing_entry", "closed_by_year_end"])
        audit_log(actor=by, action=LedgerAudit.YEAR_REOPEN, target=fy, reason=reason)
    period.status = Period.Status.OPEN
    period.closed_at = None
    period.closed_by = None
    period.save(update_fields=["status", "closed_at", "closed_by"])
    audit_log(actor=by, action=LedgerAudit.PERIOD_REOPEN, target=period, reason=reason)
    return period
