"""Rescheduling: a new schedule for the outstanding, kept with history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, reason_required
from core.common.money import format_rupiah, parse_percent
from core.ledger.errors import LedgerErrors
from core.ledger.services import books_closed_until
from core.loans.audit import LoanAudit

from .. import schedules as S
from ..arrears import loans_days_past_due_set
from ..models import (
    Instalment,
    Loan,
    LoanSettings,
    Reschedule,
)
from .common import (
    RESCHEDULE_ROLES,
    ZERO,
    LoanErrors,
    _instalments_create,
    _line,
    _lock,
    _notify,
    _post,
    _require_role,
    check_first_due_date,
    check_loan_event_date,
    schedule_version_next,
)
from .dues import _open_rows, row_penalty_due

# --- rescheduling -------------------------------------------------------------------


def restructure_grade(loan: Loan, rows: list[Instalment], on: date) -> str:
    """The grade a restructured loan keeps (``restructured_grade``): the worse of its
    current grade and the grade its days past due give on ``on`` (its oldest unpaid row
    due before ``on``). A reschedule, and a top-up of a loan in arrears (the new loan
    inherits it)."""
    overdue = [r.due_date for r in rows if r.due_date < on]
    dpd = (on - min(overdue)).days if overdue else 0
    return S.grade_worse(loan.kolektibilitas, S.kolektibilitas(dpd, LoanSettings.get().thresholds))


def capitalised_credit_lines(
    loan: Loan, *, jasa: Decimal, penalty: Decimal = ZERO
) -> tuple[list, Decimal, Decimal]:
    """The credits for overdue jasa (and penalty) capitalised into a principal instead of
    being paid (a reschedule's new principal, a top-up's settlement of a loan in
    arrears): not income. Jasa brought in at a move-in (the loan's jasa receivable, income
    of the old books) is credited to that receivable; the rest to *pendapatan jasa
    ditangguhkan* (``deferred_jasa_income``), recognised as the principal carrying it is
    repaid (``deferred_jasa_share``). Returns ``(lines, brought, deferred)``; the caller
    debits the receivable and adds ``deferred`` to the carrying loan's ``deferred_jasa``
    and ``penalty`` (all of it deferred: no penalty is brought in) to its
    ``deferred_penalty``, which is recognised as penalty income, not jasa income
    (``repayment.deferred_penalty_part``). A reschedule waives the penalty instead."""
    brought = min(jasa, loan.jasa_receivable)
    deferred = jasa - brought + penalty
    m, memo = loan.member_id, loan.number
    lines = []
    if brought > 0:
        lines.append(_line("loan_interest_receivable", credit=brought, member_id=m, memo=memo))
    if deferred > 0:
        lines.append(_line("deferred_jasa_income", credit=deferred, member_id=m, memo=memo))
    return lines, brought, deferred


def _rate(rate: Any) -> Decimal:
    """The new rate in percent as people type it (``1,5`` as the app shows it, ``1.5``,
    ``1,5%``): 0 to 100, like a loan brought in at a move-in, at most the four decimals
    the rate column keeps (more is refused, not rounded)."""
    try:
        return parse_percent(rate, field=_("Jasa baru"))
    except ValidationError as exc:
        raise ApplicationError(
            LoanErrors.INVALID, exc.messages[0], fields={"rate": exc.messages}
        ) from None


@transaction.atomic
def loan_reschedule(
    *,
    loan: Loan,
    by,
    tenor: int,
    reason: str,
    on: date | None = None,
    rate: Any = None,
    first_due_date: date | None = None,
) -> Reschedule:
    """A new schedule for what is outstanding (the chair's decision): overdue unpaid jasa
    is capitalised into principal as *deferred* jasa (posted: receivable / pendapatan jasa
    ditangguhkan, a liability; recognised as income as the principal is repaid), unpaid
    penalty is waived; the old rows are kept as history. The loan keeps the worse of its
    grade and the grade its days past due give on ``on`` (``restructured_grade``) until
    it has paid the set number of instalments on time (see ``core.loans.arrears``)."""
    _require_role(by, RESCHEDULE_ROLES, _("menjadwal ulang pinjaman"))
    reason = reason_required(
        reason, code=LoanErrors.REASON_REQUIRED, message=_("Alasan penjadwalan ulang wajib diisi.")
    )
    on = on or timezone.localdate()
    loan = _lock(loan)
    if loan.status != Loan.Status.DISBURSED:
        raise ApplicationError(
            LoanErrors.NOT_RUNNING, _("Hanya pinjaman berjalan yang dapat dijadwal ulang.")
        )
    # not before the loan was paid out (brought in at a move-in: not on or before the
    # cut-over), nor before its last reschedule or its last payment not reversed
    on = check_loan_event_date(loan, on, label=_("Tanggal penjadwalan ulang"), after_payments=True)
    # a new schedule rewrites the month's arrears and grade even when nothing is posted
    # (no jasa to capitalise): a closed month's figures are final
    closed = books_closed_until()
    if closed is not None and on <= closed:
        raise ApplicationError(
            LedgerErrors.PERIOD_CLOSED,
            _("Buku sudah ditutup sampai %(c)s; penjadwalan ulang tidak boleh bertanggal %(d)s.")
            % {"c": format_tanggal(closed), "d": format_tanggal(on)},
            fields={"on": [_("Periode sudah ditutup.")]},
            status=409,
        )
    try:
        n = int(tenor)
    except (TypeError, ValueError):
        n = 0
    if not (1 <= n <= max(loan.product.max_tenor, 1) * 2):
        raise ApplicationError(
            LoanErrors.TENOR_OUT_OF_RANGE,
            _("Tenor baru harus 1-%(m)s bulan.") % {"m": loan.product.max_tenor * 2},
            fields={"tenor": [_("Di luar batas.")]},
        )
    new_rate = loan.rate if rate in (None, "") else _rate(rate)
    # the terms this reschedule replaces: the last reschedule's (the loan keeps its
    # original tenor; its rate is the one in force)
    previous = loan.reschedules.order_by("-version_to").first()
    tenor_before = previous.new_tenor if previous is not None else loan.tenor
    first_due = check_first_due_date(first_due_date or S.add_months(on, 1), start=on)
    rows = _open_rows(loan)
    grade_before = restructure_grade(loan, rows, on)
    due = [r for r in rows if r.due_date <= on]
    capital_jasa = sum((r.jasa_left for r in due), ZERO)
    waived_penalty = sum((row_penalty_due(loan, r, on) for r in due), ZERO)
    new_principal = loan.principal_outstanding + capital_jasa
    entry = None
    version_from = loan.schedule_version
    version_to = schedule_version_next(loan)
    # overdue jasa brought in at a move-in was income of the old books: capitalising it
    # moves it from the jasa receivable into the principal (not deferred again)
    credit_lines, capital_brought, capital_deferred = capitalised_credit_lines(
        loan, jasa=capital_jasa
    )
    if capital_jasa > 0:
        m, memo = loan.member_id, loan.number
        entry = _post(
            on=on,
            description=_("Kapitalisasi jasa tertunggak %s (penjadwalan ulang), ditangguhkan")
            % loan.number,
            lines=[
                _line("loan_receivable", debit=capital_jasa, member_id=m, memo=memo),
                *credit_lines,
            ],
            source_ref=f"loan:{loan.pk}:reschedule:{version_to}",
            by=by,
        )
    Instalment.objects.filter(pk__in=[r.pk for r in rows]).update(is_current=False)
    sched = S.build_schedule(
        method=loan.method,
        principal=new_principal,
        rate=S.monthly_rate(new_rate, loan.rate_period),
        tenor=n,
        first_due=first_due,
        day=S.due_day(on, first_due),  # rescheduled on the 31st: due at each month's end
    )
    start = (
        max(Instalment.objects.filter(loan=loan).values_list("number", flat=True), default=0) + 1
    )
    _instalments_create(loan, sched, version=version_to, first_number=start)
    rs = Reschedule.objects.create(
        loan=loan,
        on=on,
        version_from=version_from,
        version_to=version_to,
        principal_before=loan.principal_outstanding,
        capitalised_jasa=capital_jasa,
        waived_penalty=waived_penalty,
        old_tenor=tenor_before,
        new_tenor=n,
        old_rate=loan.rate,
        new_rate=new_rate,
        rate_period=loan.rate_period,
        grade_before=grade_before,
        first_due_date=first_due,
        reason=reason,
        entry=entry,
        by=by,
    )
    loan.principal_outstanding = new_principal
    loan.deferred_jasa += capital_deferred
    loan.jasa_receivable -= capital_brought
    loan.schedule_version = version_to
    loan.rate = new_rate
    loan.restructured_grade = grade_before
    loan.restructured_on = on
    loan.kolektibilitas = grade_before
    # nothing of the new schedule is overdue yet: the days past due from its rows now,
    # as after a payment (the grade is kept above, not these days)
    loans_days_past_due_set(loans=[loan])
    loan.save(
        update_fields=[
            "days_past_due",
            "principal_outstanding",
            "deferred_jasa",
            "jasa_receivable",
            "schedule_version",
            "rate",
            "restructured_grade",
            "restructured_on",
            "kolektibilitas",
            "updated_at",
        ]
    )
    audit_log(
        actor=by,
        action=LoanAudit.RESCHEDULE,
        target=loan,
        reason=rs.reason,
        data={
            "version_from": version_from,
            "version_to": version_to,
            "capitalised_jasa": str(capital_jasa),
            "deferred_jasa": str(loan.deferred_jasa),
            "grade_kept": grade_before,
            "waived_penalty": str(waived_penalty),
            "new_tenor": n,
            "new_rate": str(new_rate),
            "principal": str(new_principal),
        },
    )
    _notify(
        loan,
        lambda: (
            _("Pinjaman %s dijadwal ulang") % loan.number,
            _("Pinjaman Anda dijadwal ulang: %(n)s bulan, angsuran pertama %(i)s.")
            % {"n": n, "i": format_rupiah(sched.first_instalment)},
        ),
    )
    return rs
