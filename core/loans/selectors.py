"""Reads of the loans module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit.models import AuditEvent
from core.common.bulk import array_text
from core.common.dates import format_tanggal
from core.ledger.models import JournalEntry, JournalLine, Receipt
from core.ledger.payroll_batches import payroll_batches_by_entry, payroll_description
from core.ledger.selectors import account_balance, account_for_role
from core.members.models import Member, MemberChange
from core.savings.selectors import member_savings_summary, member_savings_total

from . import schedules as S
from .models import (
    ArrearsRun,
    Instalment,
    JasaPaidBroughtIn,
    Loan,
    LoanGradeSnapshot,
    LoanProduct,
    LoanSettings,
    Repayment,
    Reschedule,
    receipts_prime,
)
from .services import loan_dues, loan_payoff_quote, topup_settlement
from .services.applications import member_instalment_burden, membership_months, product_fees

ZERO = Decimal("0")
NPL_BAND_LABELS = {
    S.NplBand.SEHAT: gettext_lazy("Sehat"),
    S.NplBand.CUKUP_SEHAT: gettext_lazy("Cukup sehat"),
    S.NplBand.KURANG_SEHAT: gettext_lazy("Kurang sehat"),
    S.NplBand.TIDAK_SEHAT: gettext_lazy("Tidak sehat"),
}


def loan_products(*, active_only: bool = True) -> QuerySet[LoanProduct]:
    qs = LoanProduct.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def loan_list(*, status: str = "", member: Member | None = None, q: str = "") -> QuerySet[Loan]:
    qs = Loan.objects.select_related("member", "product").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if member is not None:
        qs = qs.filter(member=member)
    if q:
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(member__full_name__icontains=q)
            | Q(member__number__icontains=q)
        )
    return qs


def loan_schedule(loan: Loan, *, history: bool = False) -> QuerySet[Instalment]:
    qs = loan.instalments.all()
    if not history:
        qs = qs.filter(is_current=True)
    return qs.order_by("version", "number")


def loan_repayments(loan: Loan) -> list[Repayment]:
    """The loan's payments as its staff page and the member's portal list them, newest
    first: each with its receipt number read in one query, its ``reversal`` (a reversed
    one), and what a payment that issued no receipt was (``repayments_name``)."""
    reps = receipts_prime(loan.repayments.select_related("reversal").order_by("-paid_on", "-id"))
    repayments_name(reps)
    return reps


def loan_schedule_history(loan: Loan, *, repayments: list[Repayment]) -> list[Instalment]:
    """The loan's schedule rows kept as history (*Jadwal lama*), by version and number,
    each with ``reversed_payment``: the payment (of ``repayments``, the loan's, read with
    their ``reversal``: ``loan_repayments``) whose excess to principal wrote its version
    by re-amortising the schedule (``Repayment.schedule_before["version_to"]``) when that
    payment was reversed, its rows history since; None for any other row."""
    by_version = {
        r.schedule_before.get("version_to"): r
        for r in repayments
        if r.schedule_before and getattr(r, "reversal", None) is not None
    }
    rows = list(loan.instalments.filter(is_current=False).order_by("version", "number"))
    for row in rows:
        row.reversed_payment = by_version.get(row.version)
    return rows


def repayments_name(repayments: list[Repayment]) -> None:
    """What names each payment that issued no receipt of the series (``receipt_issued``
    false), on the staff pages and the portal alike: a payroll one its batch
    (``payroll``, None for any other, and ``payroll_description``: "Potong gaji Maret
    2026 – <instansi> · ref. JU-…"), a top-up's settlement the new loan and what it took
    over (``topup``: ``topup_settlements``, None for any other); an exit's settlement is
    named by its channel and date. Three queries at most for all of them."""
    batches = payroll_batches_by_entry(
        entry_ids=[r.entry_id for r in repayments if r.channel == Repayment.Channel.PAYROLL]
    )
    settled = topup_settlements(repayments)
    for r in repayments:
        r.payroll = batches.get(r.entry_id) if r.channel == Repayment.Channel.PAYROLL else None
        r.payroll_description = payroll_description(r.payroll) if r.payroll else ""
        r.topup = settled.get(r.pk)


def repayment_name(r: Repayment) -> str:
    """A payment in a report's receipt column (the kartu pinjaman, the repayments
    report): its receipt number, or, one that issued none, what it was in the words of
    the loan page (``loans/_payment_name.html``, without its links and figures).
    ``r`` named by ``repayments_name``."""
    if r.payroll:
        return r.payroll_description
    if r.topup and r.topup["new_loan"]:
        return f"{_('Dilunasi oleh pinjaman baru')} {r.topup['new_loan'].number}"
    if r.channel == Repayment.Channel.SETTLEMENT:
        return f"{_('Diperhitungkan pada penyelesaian keluar')} {date_format(r.paid_on)}"
    return r.receipt_number if r.receipt_issued else _("Tanpa kuitansi")


def sukarela_payments_name(rows: list) -> None:
    """Name each savings movement among ``rows`` that paid a loan from the member's
    simpanan sukarela (the repayment of channel ``sukarela`` posted in the same entry) in
    the reader's language, from the repayment itself, not the memo stored in the
    language of the clerk who posted it: ``loan_payment`` (the repayment, None for any
    other row) and ``loan_payment_description`` ("Pemindahbukuan keluar — Angsuran
    pinjaman PJ-… (kuitansi ANG-…)"). Two queries for all of them."""
    entry_ids = {t.journal_entry_id for t in rows if t.journal_entry_id}
    reps = {}
    if entry_ids:
        found = Repayment.objects.filter(
            entry_id__in=entry_ids, channel=Repayment.Channel.SUKARELA
        ).select_related("loan")
        reps = {r.entry_id: r for r in receipts_prime(found)}
    for t in rows:
        r = reps.get(t.journal_entry_id)
        t.loan_payment = r
        if r is None:
            t.loan_payment_description = ""
            continue
        words = (
            _("Pelunasan pinjaman %(n)s (kuitansi %(r)s)")
            if r.kind == Repayment.Kind.PAYOFF
            else _("Angsuran pinjaman %(n)s (kuitansi %(r)s)")
        )
        what = words % {"n": r.loan.number, "r": r.receipt_number}
        t.loan_payment_description = f"{t.get_kind_display()} — {what}"


def topup_settlements(repayments: list[Repayment]) -> dict[int, dict]:
    """What each top-up settlement among ``repayments`` (channel ``topup``) was, from its
    records, by repayment id: ``new_loan``, the loan whose disbursement settled it (its
    entry is the repayment's), and ``carried``, the overdue jasa and penalty that loan
    took over instead of their being paid (a top-up of a loan in arrears: what its entry
    credited to deferred jasa income for the old loan). Two queries for all of them."""
    reps = [r for r in repayments if r.channel == Repayment.Channel.TOPUP and r.entry_id]
    if not reps:
        return {}
    new_loans = {
        ln.disbursement_entry_id: ln
        for ln in Loan.objects.filter(disbursement_entry_id__in={r.entry_id for r in reps})
    }
    carried = {
        (row["entry_id"], row["member_id"], row["memo"]): row["c"]
        for row in JournalLine.objects.filter(
            entry_id__in={r.entry_id for r in reps},
            account=account_for_role("deferred_jasa_income"),
        )
        .values("entry_id", "member_id", "memo")
        .annotate(c=Sum("credit") - Sum("debit"))
    }
    return {
        r.pk: {
            "new_loan": new_loans.get(r.entry_id),
            "carried": carried.get((r.entry_id, r.loan.member_id, r.loan.number), ZERO),
        }
        for r in reps
    }


def loan_reschedules(loan: Loan) -> QuerySet[Reschedule]:
    """The loan's reschedulings (its changes of terms), oldest first."""
    return loan.reschedules.order_by("id")


def loan_topped_up_by(loan: Loan) -> Loan | None:
    """The top-up loan that settled ``loan`` (not a rejected application), if any."""
    return loan.topped_up_by.exclude(status=Loan.Status.REJECTED).order_by("-id").first()


@dataclass(frozen=True)
class GradeDate:
    """When the loan's kolektibilitas and PPAP were set: the date of the daily arrears run
    that last graded it (None: no run since it was disbursed), and whether a payment not
    reversed came after that run (the grade waits for the next run)."""

    graded_on: date | None
    paid_since: bool


def loans_with_grade_dates(qs: QuerySet[Loan]) -> QuerySet[Loan]:
    """``qs`` with when each loan's kolektibilitas and PPAP were set: ``graded_on``, the
    date of the latest daily arrears run if it graded the loan, else None, and
    ``paid_since_graded``, a payment not reversed came after that run (a loan not running
    now: None, False). The latest daily
    run (``arrears.loans_arrears_update`` grades every running loan and writes the loan's
    columns; a run as of a past month's last day writes snapshots only, so it does not
    count) graded the loan if the loan was disbursed by the run's date and before the run
    was made (a disbursement later the same day, or dated back after the run, was not
    graded). Annotations in the list's own query (the run is read once by PostgreSQL, not
    per row): no query per loan."""
    runs = ArrearsRun.objects.filter(kind=ArrearsRun.Kind.DAILY).order_by("-on", "-pk")
    run_on = Subquery(runs.values("on")[:1])
    run_at = Subquery(runs.values("created_at")[:1])
    graded = (
        Q(status=Loan.Status.DISBURSED)
        & Q(disbursed_on__lte=run_on)
        & Q(disbursement_entry__created_at__lte=run_at)
    )
    later_payments = Repayment.objects.filter(loan_id=OuterRef("pk"), reversal__isnull=True).filter(
        Q(paid_on__gt=run_on) | Q(entry__created_at__gt=run_at)
    )
    return qs.annotate(
        graded_on=Case(When(graded, then=run_on), default=None, output_field=DateField()),
        paid_since_graded=Case(
            When(graded, then=Exists(later_payments)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def loan_grade_date(loan: Loan) -> GradeDate:
    """When one loan's grade was set (``loans_with_grade_dates``). One query, for one
    loan's page; a list annotates its own query instead."""
    if loan.disbursed_on is None:
        return GradeDate(None, False)
    row = (
        loans_with_grade_dates(Loan.objects.filter(pk=loan.pk))
        .values_list("graded_on", "paid_since_graded")
        .first()
    )
    return GradeDate(*row) if row else GradeDate(None, False)


def grade_note(loan: Loan, grade: GradeDate) -> str:
    """The sentence saying when a running loan's grade was set, as its page and
    ``GET /api/v1/loans/<id>/`` give it: the run's date (and that a payment since is not
    graded yet), the old loan's grade a top-up inherited at its disbursement until a run
    grades it, or not graded yet."""
    if grade.graded_on is not None:
        note = _("Kolektibilitas per %(d)s") % {"d": format_tanggal(grade.graded_on)}
        if grade.paid_since:
            note += "; " + _("pembayaran sesudah tanggal itu belum dinilai ulang")
        return note
    if (on := loan.grade_inherited_on) is not None:
        return _(
            "Mewarisi kolektibilitas pinjaman lama %(n)s per %(d)s; "
            "belum dinilai ulang (proses tunggakan berikutnya)"
        ) % {"n": loan.topup_of.number, "d": format_tanggal(on)}
    return _("Kolektibilitas belum dinilai (proses tunggakan berikutnya)")


def grade_row_note(loan: Loan) -> str:
    """What a list row says beside a running loan's grade (``loans/_grade_row_note.html``,
    for a list headed with the run's date), for the list's files: nothing when the latest
    daily run graded it and nothing was paid since; else not graded yet, a top-up's
    inherited grade, or paid since. ``loan`` annotated by ``loans_with_grade_dates``
    (with ``topup_of`` selected: no query)."""
    if not loan.is_running:
        return ""
    if loan.graded_on is None:
        if (on := loan.grade_inherited_on) is not None:
            return _("mewarisi %(n)s per %(d)s") % {
                "n": loan.topup_of.number,
                "d": format_tanggal(on),
            }
        return _("belum dinilai")
    return _("dibayar sesudahnya, belum dinilai ulang") if loan.paid_since_graded else ""


def collectibility_grading() -> dict:
    """How today's grades of the running loans (``collectibility_summary``) were set, for
    a chart of them to say: ``graded_on``, the date of the latest daily arrears run if it
    graded any of them (None otherwise), ``not_graded`` and ``not_graded_outstanding``,
    the loans no run has graded yet (paid out after it: counted with the grade they were
    paid out with, a top-up's inherited one) and their principal outstanding, and
    ``paid_since``, the graded loans paid after the run (not regraded yet). One query
    (``loans_with_grade_dates``), whatever the number of loans."""
    not_graded = Q(graded_on__isnull=True)
    row = loans_with_grade_dates(Loan.objects.filter(status=Loan.Status.DISBURSED)).aggregate(
        on=Max("graded_on"),
        n=Count("pk", filter=not_graded),
        outstanding=Sum("principal_outstanding", filter=not_graded),
        paid=Count("pk", filter=Q(paid_since_graded=True)),
    )
    return {
        "graded_on": row["on"],
        "not_graded": row["n"],
        "not_graded_outstanding": row["outstanding"] or ZERO,
        "paid_since": row["paid"],
    }


def grades_as_of(loans) -> date | None:
    """The date a list's grade column is headed with: the latest run date that graded any
    of the (annotated) loans; rows not graded by it carry their own note. None when no
    loan of the list has been graded."""
    return max((ln.graded_on for ln in loans if getattr(ln, "graded_on", None)), default=None)


def loan_dues_summary(loan: Loan, on: date, rows: list[Instalment] | None = None) -> dict:
    """A running loan's dues on ``on`` as the staff loan page shows them (``loan_dues``:
    every unsettled row due on or before ``on`` with its late penalty — "Tertunggak" —
    then the next instalment), with the dates a member needs: the oldest row due, whether
    any row is past due (before ``on``; one due that day is due, not late) and the next
    instalment's due date. ``rows``: the loan's current unsettled rows by number."""
    if rows is None:
        rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    dues = loan_dues(loan, on, rows)
    due = [r for r in rows if r.due_date <= on]
    nxt = next((r for r in rows if r.due_date > on), None)
    return {
        "loan": loan,
        "dues": dues,
        "due_total": dues.due_total,
        "penalty": dues.penalty,
        "oldest_due": due[0].due_date if due else None,
        "overdue": any(r.due_date < on for r in due),
        "next_amount": dues.next_jasa + dues.next_principal,
        "next_due": nxt.due_date if nxt else None,
    }


def member_loans_due(*, member: Member, on: date) -> dict | None:
    """What a member owes on their running loans on ``on``, for the portal, by the staff
    loan page's rule (``loan_dues_summary`` per loan): the total due now with its penalty
    (overdue when any row is past due), and the next instalment — the earliest next due
    date and what falls due that day over the loans. None when nothing is owed."""
    rows = list(
        Instalment.objects.filter(
            loan__member=member,
            loan__status=Loan.Status.DISBURSED,
            is_current=True,
            settled=False,
        )
        .select_related("loan", "loan__product")
        .order_by("loan_id", "number")
    )
    if not rows:
        return None
    by_loan: dict[int, list[Instalment]] = {}
    for r in rows:
        by_loan.setdefault(r.loan_id, []).append(r)
    loans = [loan_dues_summary(rs[0].loan, on, rs) for rs in by_loan.values()]
    next_due = min((x["next_due"] for x in loans if x["next_due"]), default=None)
    return {
        "loans": loans,
        "due_total": sum((x["due_total"] for x in loans), ZERO),
        "penalty": sum((x["penalty"] for x in loans), ZERO),
        "oldest_due": min((x["oldest_due"] for x in loans if x["oldest_due"]), default=None),
        "overdue": any(x["overdue"] for x in loans),
        "next_due": next_due,
        "next_amount": sum(
            (x["next_amount"] for x in loans if next_due and x["next_due"] == next_due), ZERO
        ),
    }


def member_loans_outstanding(member: Member, on: date | None = None) -> list[dict]:
    """For the exit settlement: per running loan, principal outstanding + jasa and late
    penalty due up to ``on`` (today). ``outstanding`` is what settling it costs."""
    on = on or timezone.localdate()
    out = []
    for loan in (
        Loan.objects.filter(member=member, status=Loan.Status.DISBURSED)
        .select_related("product")
        .order_by("pk")
    ):
        q = loan_payoff_quote(loan=loan, on=on)
        # the jasa paid ahead on rows not yet due is counted toward the principal
        total = q["principal"] + q["jasa"] + q["penalty"] - q["jasa_paid_ahead"]
        out.append(
            {
                "loan_id": loan.pk,
                "number": loan.number,
                "label": f"{loan.number} ({loan.product.name})",
                "principal": q["principal"],
                "jasa_due": q["jasa"],
                "penalty_due": q["penalty"],
                "outstanding": total,
            }
        )
    return out


def loan_amount_due(loan: Loan, on: date) -> dict[str, Decimal]:
    """What to collect from a running loan on ``on`` (e.g. a payroll deduction list):
    arrears (penalty, jasa, principal due up to the date) plus the next instalment."""
    d = loan_dues(loan, on)
    return {
        "penalty": d.penalty,
        "jasa": d.jasa + d.next_jasa,
        "principal": d.principal + d.next_principal,
        "total": d.with_next,
    }


def loans_reconciliation(as_of: date | None = None) -> dict[str, Decimal]:
    """Sub-ledger vs control accounts: outstanding principal vs ``loan_receivable``, PPAP
    per loan vs ``ppap_allowance``, deferred jasa of restructured loans vs
    ``deferred_jasa_income``, and the jasa arrears brought in at a move-in still owed vs
    ``loan_interest_receivable`` (all postings, i.e. now)."""
    agg = Loan.objects.aggregate(
        p=Sum("principal_outstanding"),
        a=Sum("ppap_amount"),
        d=Sum("deferred_jasa"),
        j=Sum("jasa_receivable"),
    )
    return {
        "jasa_receivable_subledger": agg["j"] or ZERO,
        "jasa_receivable_ledger": account_balance(
            account=account_for_role("loan_interest_receivable"), as_of=as_of
        ),
        "principal_subledger": agg["p"] or ZERO,
        "principal_ledger": account_balance(
            account=account_for_role("loan_receivable"), as_of=as_of
        ),
        "ppap_subledger": agg["a"] or ZERO,
        "ppap_ledger": account_balance(account=account_for_role("ppap_allowance"), as_of=as_of),
        "deferred_jasa_subledger": agg["d"] or ZERO,
        "deferred_jasa_ledger": account_balance(
            account=account_for_role("deferred_jasa_income"), as_of=as_of
        ),
    }


def collectibility_summary(*, as_of: date | None = None) -> dict:
    """Outstanding by kolektibilitas in the cooperative's scheme (four or five grades;
    a grade of the other scheme still held by a loan until the next arrears run is shown
    too), NPL ratio and its health band, and the restructured loans apart.

    Today's grades by default; with ``as_of``, the grades the arrears run stored for the
    last month end on or before it (``LoanGradeSnapshot``; ``as_of`` in the result is
    that date, None when no run stored grades by then and today's are shown)."""
    st = LoanSettings.get()
    snapshot_on = None
    if as_of is not None:
        snapshot_on = LoanGradeSnapshot.objects.filter(on__lte=as_of).aggregate(m=Max("on"))["m"]
    if snapshot_on is not None:
        running = LoanGradeSnapshot.objects.filter(on=snapshot_on)
        restructured_q = Q(restructured=True)
    else:
        running = Loan.objects.filter(status=Loan.Status.DISBURSED)
        restructured_q = ~Q(restructured_grade="")
    # Per grade, and the restructured loans' share of each grade summed below: one query.
    rows = list(
        running.values("kolektibilitas").annotate(
            n=Count("id"),
            outstanding=Sum("principal_outstanding"),
            ppap=Sum("ppap_amount"),
            deferred=Sum("deferred_jasa"),
            r_n=Count("id", filter=restructured_q),
            r_outstanding=Sum("principal_outstanding", filter=restructured_q),
            r_deferred=Sum("deferred_jasa", filter=restructured_q),
            r_ppap=Sum("ppap_amount", filter=restructured_q),
        )
    )
    by = {r["kolektibilitas"]: r for r in rows}
    bands = {b["grade"]: b for b in st.bands()}
    grades = []
    total = ZERO
    npl = ZERO
    for g in S.KOLEK_ORDER:
        if g not in bands and g.value not in by:
            continue
        r = by.get(g.value, {})
        amt = r.get("outstanding") or ZERO
        total += amt
        if g in S.NON_PERFORMING:
            npl += amt
        band = bands.get(g, {})
        grades.append(
            {
                "grade": g.value,
                "count": r.get("n", 0),
                "outstanding": amt,
                "ppap": r.get("ppap") or ZERO,
                # not earned yet: not in the base the PPAP rate is taken of
                "deferred_jasa": r.get("deferred") or ZERO,
                "days_from": band.get("from"),
                "days_to": band.get("to"),
                "ppap_rate": band.get("ppap"),
            }
        )
    ratio = S.npl_ratio(non_performing=npl, total=total)

    def restructured(key: str) -> Decimal:
        return sum((r[key] for r in rows if r[key] is not None), ZERO) or ZERO

    return {
        "as_of": snapshot_on,
        "scheme": st.kolek_scheme,
        "grades": grades,
        "total": total,
        "non_performing": npl,
        "npl_ratio": ratio,
        "band": S.npl_band(ratio).value,
        "band_label": NPL_BAND_LABELS[S.npl_band(ratio)],
        "restructured": {
            "count": sum(r["r_n"] for r in rows),
            "outstanding": restructured("r_outstanding"),
            "deferred_jasa": restructured("r_deferred"),
            "ppap": restructured("r_ppap"),
        },
    }


def repayments_in_force(*, as_of: date | None = None) -> QuerySet[Repayment]:
    """Repayments whose journal entry was not reversed (on or before ``as_of`` when
    given): a payroll batch reversed as a whole, or any single reversed repayment,
    leaves its ``Repayment`` rows in place (immutable) but they no longer count."""
    reversals = JournalEntry.objects.filter(reverses_id=OuterRef("entry_id"))
    if as_of is not None:
        reversals = reversals.filter(date__lte=as_of)
    return Repayment.objects.filter(~Exists(reversals))


def repayments_between(date_from: date, date_to: date) -> QuerySet[Repayment]:
    return (
        Repayment.objects.filter(paid_on__gte=date_from, paid_on__lte=date_to)
        .select_related("loan", "loan__member")
        .order_by("paid_on", "id")
    )


def disbursements_between(date_from: date, date_to: date) -> QuerySet[Loan]:
    return (
        Loan.objects.filter(disbursed_on__gte=date_from, disbursed_on__lte=date_to)
        .select_related("member", "product")
        .order_by("disbursed_on", "id")
    )


def _open_rows_due_and_next(loan_ids: list[int], on: date) -> list[tuple]:
    """For each loan, its open current rows due by ``on`` and the first one after it (by
    due date; a schedule's due dates rise with its numbers), as ``(loan_id, due_date,
    principal, jasa, principal_paid, jasa_paid, jasa_waived, penalty_paid,
    penalty_periods, penalty_charged)``: an index
    walk per loan (``loans_inst_current_idx``) that stops there, as the payroll batch reads
    them (``core.loans.batch``), not every open row of every schedule (720,000 rows for
    30,000 loans, over 700 MB in the process that built the payroll list)."""
    table = connection.ops.quote_name(Instalment._meta.db_table)
    cols = (
        "i.loan_id, i.due_date, i.principal, i.jasa, i.principal_paid, i.jasa_paid,"
        " i.jasa_waived, i.penalty_paid, i.penalty_periods, i.penalty_charged"
    )
    open_row = "i.loan_id = l.id AND i.is_current AND NOT i.settled"
    sql = (
        f"SELECT r.* FROM unnest(%s::bigint[]) AS l(id) CROSS JOIN LATERAL ("
        f"(SELECT {cols}, i.number FROM {table} i WHERE {open_row} AND i.due_date <= %s)"
        f" UNION ALL (SELECT {cols}, i.number FROM {table} i WHERE {open_row}"
        f" AND i.due_date > %s ORDER BY i.due_date, i.number LIMIT 1)) AS r"
        f" ORDER BY r.loan_id, r.number"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [array_text(loan_ids), on, on])
        return [row[:-1] for row in cur.fetchall()]


def loans_amounts_due(*, on: date, member_ids=None) -> dict[int, dict]:
    """Set-based ``loan_amount_due`` for many loans (e.g. building a payroll deduction
    list): {loan_id: {member_id, number, penalty, jasa, principal, total}} for every
    running loan (of ``member_ids`` if given). Three queries whatever the number of loans;
    of each schedule only the rows due and the next one are read."""
    loans = Loan.objects.filter(status=Loan.Status.DISBURSED)
    if member_ids is not None:
        loans = loans.filter(member_id__in=list(member_ids))
    # plain values and the few products shared: 30,000 loans as models (each with its
    # own product copy) were 150 MB
    products = LoanProduct.objects.in_bulk()
    by_id = {
        pk: (member_id, number, products[product_id])
        for pk, member_id, number, product_id in loans.values_list(
            "pk", "member_id", "number", "product_id"
        )
    }
    out: dict[int, dict] = {
        pk: {
            "member_id": member_id,
            "number": number,
            "penalty": ZERO,
            "jasa": ZERO,
            "principal": ZERO,
            "total": ZERO,
        }
        for pk, (member_id, number, _p) in by_id.items()
    }
    rows = _open_rows_due_and_next(sorted(by_id), on)
    next_taken: set[int] = set()
    for loan_id, due, pr, js, pp, jp, jw, pen_paid, pen_periods, pen_charged in rows:
        d = out[loan_id]
        if due <= on:
            p = by_id[loan_id][2]
            # the single-loan rule (services.row_penalty_due), on the same row values
            d["penalty"] += S.row_penalty_charge(
                due_date=due,
                on=on,
                unpaid=pr - pp + js - jw - jp,
                periods=pen_periods,
                charged=pen_charged,
                penalty_paid=pen_paid,
                rate_percent=p.late_penalty_rate,
                basis=p.late_penalty_basis,
                grace_days=p.late_penalty_grace_days,
            ).owed(pen_paid)
        elif loan_id in next_taken:
            continue
        else:
            next_taken.add(loan_id)
        d["jasa"] += js - jw - jp
        d["principal"] += pr - pp
    for d in out.values():
        d["total"] = d["penalty"] + d["jasa"] + d["principal"]
    return out


# --- decision data (verify / approve / disburse screens) -----------------------------

AUDIT_ACTION_LABELS = {
    "loan.apply": gettext_lazy("Diajukan"),
    "loan.document.add": gettext_lazy("Dokumen ditambahkan"),
    "loan.verify": gettext_lazy("Diverifikasi"),
    "loan.approve": gettext_lazy("Disetujui"),
    "loan.reject": gettext_lazy("Ditolak"),
    "loan.disburse": gettext_lazy("Dicairkan"),
    "loan.repay": gettext_lazy("Angsuran diterima"),
    "loan.repay_batch": gettext_lazy("Angsuran potong gaji"),
    "loan.repayment_reverse": gettext_lazy("Pembayaran dibatalkan"),
    "loan.payoff": gettext_lazy("Dilunasi"),
    "loan.reschedule": gettext_lazy("Dijadwal ulang"),
    "loan.close.topup": gettext_lazy("Ditutup oleh top-up"),
    "loan.settle.exit": gettext_lazy("Dilunasi saat keluar"),
    "loan.writeoff": gettext_lazy("Dihapusbukukan"),
    "loan.writeoff.recovery": gettext_lazy("Penerimaan hapus buku"),
    "loan.writeoff.recovery_reverse": gettext_lazy("Penerimaan hapus buku dibatalkan"),
    "loan.writeoff.reverse": gettext_lazy("Hapus buku dibatalkan"),
}


def loan_history(loan: Loan) -> list[dict]:
    """Who did what to this loan, when: its rows of the audit log, oldest first."""
    rows = AuditEvent.objects.filter(
        target_type=Loan._meta.label_lower, target_id=str(loan.pk)
    ).order_by("created_at", "id")
    return [
        {
            "at": e.created_at,
            "actor": e.actor_label,
            "action": e.action,
            "label": AUDIT_ACTION_LABELS.get(e.action, e.action),
            "note": e.reason or (e.data or {}).get("note") or (e.data or {}).get("reason") or "",
        }
        for e in rows
    ]


# how far before the application a change of take-home pay is shown to the deciders
PAY_CHANGE_WINDOW_DAYS = 90


def _stored_rupiah(value: str) -> Decimal | None:
    """A take-home pay as the member history stores it (``"6000000.00"``; empty when it
    was not filled in). ``None`` when empty or unreadable: never read as zero."""
    try:
        amount = Decimal(value) if value else None
    except (InvalidOperation, ValueError):
        return None
    return amount if amount is not None and amount.is_finite() else None


def take_home_pay_changes(loan: Loan) -> list[dict]:
    """Changes of the member's take-home pay from ``PAY_CHANGE_WINDOW_DAYS`` before the
    application until now, oldest first, each with who made it and whether it came after
    the application: the pay the debt-service ratio rests on, raised just before a loan,
    is what the treasurer and the chair should see."""
    since = loan.applied_on - timedelta(days=PAY_CHANGE_WINDOW_DAYS)
    rows = (
        MemberChange.objects.filter(
            member_id=loan.member_id, field="take_home_pay", changed_at__date__gte=since
        )
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )
    return [
        {
            "at": c.changed_at,
            "by": c.changed_by,
            "old": _stored_rupiah(c.old_value),
            "new": _stored_rupiah(c.new_value),
            "reason": c.reason,
            "after_application": c.changed_at > loan.created_at,
            "by_applicant": c.changed_by_id is not None and c.changed_by_id == loan.applied_by_id,
        }
        for c in rows
    ]


def loan_decision_data(loan: Loan, *, on: date | None = None) -> dict:
    """What the treasurer and the chair decide on: the member's take-home pay, their other
    loans (next instalment, outstanding, grade), savings balances, this loan's instalment,
    the debt-service ratio (all monthly instalments / take-home pay) against the product's
    limit, membership length, and the application's history. Reads only."""
    on = on or timezone.localdate()
    member = loan.member
    product = loan.product
    sched = S.build_schedule(
        method=loan.method,
        principal=loan.principal,
        rate=S.monthly_rate(loan.rate, loan.rate_period),
        tenor=loan.tenor,
    )
    new_instalment = sched.max_instalment
    exclude = [loan.pk] + ([loan.topup_of_id] if loan.topup_of_id else [])
    others = []
    for other in (
        loans_with_grade_dates(
            Loan.objects.filter(
                member=member,
                status__in=[
                    Loan.Status.DISBURSED,
                    Loan.Status.APPLIED,
                    Loan.Status.VERIFIED,
                    Loan.Status.APPROVED,
                ],
            ).exclude(pk=loan.pk)
        )
        .select_related("product", "topup_of")
        .order_by("pk")
    ):
        if other.status == Loan.Status.DISBURSED:
            row = (
                other.instalments.filter(is_current=True, settled=False).order_by("number").first()
            )
            instalment = (row.principal + row.jasa) if row is not None else ZERO
        else:
            instalment = S.build_schedule(
                method=other.method,
                principal=other.principal,
                rate=S.monthly_rate(other.rate, other.rate_period),
                tenor=other.tenor,
            ).max_instalment
        others.append(
            {
                "loan": other,
                "instalment": instalment,
                "settled_by_this": other.pk == loan.topup_of_id,
            }
        )
    existing = member_instalment_burden(member, exclude=exclude)
    burden = existing + new_instalment
    pay = member.take_home_pay
    limit_pct = product.max_instalment_share
    dsr = None
    if pay and pay > 0:
        dsr = (burden * 100 / pay).quantize(Decimal("0.01"))
    pay_changes = take_home_pay_changes(loan)
    # the ratio on the pay as it was before the window's first change, when it differs
    pay_before = pay_changes[0]["old"] if pay_changes else None
    dsr_before = None
    if pay_before is not None and pay_before > 0 and pay_before != pay:
        dsr_before = (burden * 100 / pay_before).quantize(Decimal("0.01"))
    return {
        "take_home_pay": pay,
        "pay_changes": pay_changes,
        "pay_change_window_days": PAY_CHANGE_WINDOW_DAYS,
        "take_home_pay_before": pay_before if dsr_before is not None else None,
        "dsr_before": dsr_before,
        "dsr_before_over": bool(
            dsr_before is not None and limit_pct and limit_pct > 0 and dsr_before > limit_pct
        ),
        "other_loans": others,
        "other_grades_on": grades_as_of(o["loan"] for o in others),
        "existing_instalments": existing,
        "new_instalment": new_instalment,
        "total_instalments": burden,
        "dsr": dsr,
        "dsr_limit": limit_pct if limit_pct and limit_pct > 0 else None,
        "dsr_limit_amount": S.rupiah(pay * limit_pct / 100) if pay and limit_pct else None,
        "dsr_over": bool(dsr is not None and limit_pct and limit_pct > 0 and dsr > limit_pct),
        "savings": member_savings_summary(member=member),
        "savings_total": member_savings_total(member=member),
        "membership_months": membership_months(member.join_date, on),
        "min_membership_months": product.min_membership_months,
        "join_date": member.join_date,
        "history": loan_history(loan),
    }


FEE_LABELS = {
    "admin_fee": gettext_lazy("Biaya administrasi"),
    "provisi": gettext_lazy("Provisi"),
    "insurance": gettext_lazy("Asuransi"),
    "wajib_pinjam": gettext_lazy("Simpanan wajib pinjam"),
    "risk_fund": gettext_lazy("Dana risiko"),
}


def loan_disbursement_preview(loan: Loan, *, on: date) -> dict:
    """What disbursing ``loan`` on ``on`` would post, as the confirmation shows it: the
    principal, each fee deducted with the amount left after it, a top-up's settlement of
    the old loan, and the net paid out. The same figures ``loan_disburse`` posts."""
    fees = product_fees(loan.product, loan.principal)
    left = loan.principal
    steps = []
    for name in LoanProduct.FEES:
        if fees[name] > 0:
            left -= fees[name]
            steps.append({"label": FEE_LABELS[name], "amount": fees[name], "after": left})
    settlement = ZERO
    topup = None
    if loan.topup_of_id and loan.topup_of.status == Loan.Status.DISBURSED:
        topup = topup_settlement(old=loan.topup_of, on=on)
        settlement = topup.amount
        if settlement > 0:
            left -= settlement
            steps.append(
                {
                    "label": gettext_lazy("Pelunasan pinjaman lama %(n)s")
                    % {"n": loan.topup_of.number},
                    "amount": settlement,
                    "after": left,
                }
            )
    return {
        "principal": loan.principal,
        "steps": steps,
        "fees_total": sum(fees.values(), ZERO),
        "settlement": settlement,
        # a top-up of a loan in arrears or on probation is a restructuring: the jasa the
        # new loan carries deferred and the grade it inherits (``topup.restructured``), as
        # posted
        "topup": topup,
        "net": left,
    }


def loan_schedule_for_print(loan: Loan) -> tuple[list[dict], dict]:
    """The schedule printed on the agreement and the voucher: the loan's current
    instalments once disbursed, else the plan the product gives (due dates from a month
    after today). Rows with the principal left after each; and the totals."""
    rows = list(loan_schedule(loan))
    out = []
    if rows:
        left = sum((r.principal for r in rows), ZERO)
        for r in rows:
            left -= r.principal
            out.append(
                {
                    "number": r.number,
                    "due_date": r.due_date,
                    "principal": r.principal,
                    "jasa": r.jasa,
                    "total": r.principal + r.jasa,
                    "balance_after": left,
                }
            )
    else:
        today = timezone.localdate()
        sched = S.build_schedule(
            method=loan.method,
            principal=loan.principal,
            rate=S.monthly_rate(loan.rate, loan.rate_period),
            tenor=loan.tenor,
            first_due=S.add_months(today, 1),
            day=today.day,
        )
        out = [
            {
                "number": r.number,
                "due_date": r.due_date,
                "principal": r.principal,
                "jasa": r.jasa,
                "total": r.total,
                "balance_after": r.balance_after,
            }
            for r in sched.rows
        ]
    totals = {k: sum((r[k] for r in out), ZERO) for k in ("principal", "jasa", "total")}
    return out, totals


def loan_voucher_number(loan: Loan) -> str:
    """The disbursement voucher's number (its own receipt series), if disbursed: the
    latest one (a disbursement reversed and made again has a voucher each)."""
    if loan.disbursement_entry_id is None:
        return ""
    r = (
        Receipt.objects.filter(source_ref__startswith=f"loan:{loan.pk}:disburse")
        .filter(source_ref__regex=rf"^loan:{loan.pk}:disburse(:[0-9]+)?$")
        .order_by("-pk")
        .first()
    )
    return r.number if r else ""


def jasa_paid_brought_in(*, year: int, member_ids: list[int]) -> dict[int, Decimal]:
    """Per member, the jasa paid in ``year`` in the old books (``JasaPaidBroughtIn``: a
    move-in's figures for the cut-over's year, up to the cut-over)."""
    return dict(
        JasaPaidBroughtIn.objects.filter(year=year, member_id__in=member_ids)
        .values("member_id")
        .annotate(s=Sum("amount"))
        .values_list("member_id", "s")
    )
