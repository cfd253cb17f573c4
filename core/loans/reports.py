"""Loan reports as plain tables (title, columns, rows, totals) rendered three ways:
HTML (a screen), PDF (WeasyPrint, same template) and XLSX (openpyxl).

- outstanding: running loans with principal outstanding, grade, PPAP
- arrears: loans past due with aging buckets; restructured loans apart
- collectibility: outstanding per kolektibilitas, NPL ratio and health band
- disbursements / repayments for a period
- card: a member's loan card (kartu pinjaman): schedule with payments, repayments
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.styles import Font

from core.common.dates import format_date, format_tanggal
from core.common.exports import safe_cell, workbook_bytes
from core.common.money import format_percent, format_rupiah
from core.common.pdf import html_to_pdf

from . import schedules as S
from .models import KOLEK_CHOICES, Loan, LoanReversal, LoanSettings, LoanWriteOff, receipts_prime
from .selectors import (
    NPL_BAND_LABELS,
    collectibility_grading,
    collectibility_summary,
    disbursements_between,
    grade_note,
    grade_row_note,
    loan_grade_date,
    loans_with_grade_dates,
    repayment_name,
    repayments_between,
    repayments_name,
)
from .services import loan_dues

ZERO = Decimal("0")
# the grades' and NPL bands' names as the loan's page shows them (lazy: said in the
# reader's language when a report is built; str() before a cell or a note takes them)
KOLEK_LABEL = dict(KOLEK_CHOICES)
BAND_LABEL = NPL_BAND_LABELS


@dataclass
class Column:
    key: str
    label: str
    money: bool = False
    # an amount that may carry sen (the PPAP allowance): XLSX #,##0.00; the other money
    # columns are whole rupiah, #,##0
    sen: bool = False

    @property
    def number_format(self) -> str:
        return "#,##0.00" if self.sen else "#,##0"


@dataclass
class Report:
    kind: str
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[dict]
    totals: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sections: list[Report] = field(default_factory=list)

    def table(self) -> list[list]:
        return [[row.get(c.key, "") for c in self.columns] for row in self.rows]

    def total_cells(self) -> list:
        return [self.totals.get(c.key, "") for c in self.columns]


def _money_total(rows, *keys):
    return {k: sum((r[k] for r in rows), ZERO) for k in keys}


def _arrears_run_on() -> date | None:
    """The date of the last daily arrears run: what each loan's grade, days late and
    PPAP (``kolektibilitas``, ``days_past_due``, ``ppap_amount``) were computed for."""
    return LoanSettings.objects.filter(pk=1).values_list("last_arrears_run", flat=True).first()


def _per_run(label: str, run_on: date | None) -> str:
    """A column the arrears run stored, labelled with its date ("PPAP per 6 Des 2026"),
    or said not computed yet: it sits beside today's outstanding."""
    if run_on is None:
        return _("%(c)s (belum dihitung)") % {"c": label}
    return _("%(c)s per %(d)s") % {"c": label, "d": format_date(run_on)}


def _run_note(run_on: date | None) -> str:
    """What the run-dated columns are, for the notes under the table."""
    if run_on is None:
        return _(
            "Perhitungan tunggakan belum pernah dijalankan: kolektibilitas, hari tunggak dan "
            "PPAP belum dihitung."
        )
    return _(
        "Kolektibilitas, hari tunggak dan PPAP menurut perhitungan tunggakan %(d)s; sisa "
        "pokok per hari ini. Pembayaran sesudahnya (juga pelunasan) baru mengubah "
        "kolektibilitas dan PPAP, juga PPAP di buku besar, pada perhitungan berikutnya: "
        "pinjaman yang lunas sesudah %(d)s tidak ada di daftar ini, tetapi PPAP-nya tetap "
        "di buku besar sampai perhitungan berikutnya."
    ) % {"d": format_date(run_on)}


def report_outstanding(*, on: date) -> Report:
    run_on = _arrears_run_on()
    # each loan with whether that run graded it (``loans_with_grade_dates``): a loan paid
    # out after it, or paid since, says so beside its grade, as the loans list does
    loans = loans_with_grade_dates(
        Loan.objects.filter(status=Loan.Status.DISBURSED)
        .select_related("member", "product", "topup_of")
        .order_by("number")
    )
    rows = [
        {
            "number": ln.number,
            "member": f"{ln.member.number} {ln.member.full_name}",
            "product": ln.product.code,
            "disbursed_on": ln.disbursed_on,
            "principal": ln.principal,
            "outstanding": ln.principal_outstanding,
            "dpd": ln.days_past_due,
            "grade": str(KOLEK_LABEL[ln.kolektibilitas]),
            "grade_note": grade_row_note(ln),
            "ppap": ln.ppap_amount,
        }
        for ln in loans
    ]
    return Report(
        "outstanding",
        _("Daftar pinjaman beredar"),
        _("Per %s") % format_date(on),
        [
            Column("number", _("No. pinjaman")),
            Column("member", _("Anggota")),
            Column("product", _("Produk")),
            Column("disbursed_on", _("Dicairkan")),
            Column("principal", _("Pokok"), True),
            Column("outstanding", _("Sisa pokok"), True),
            Column("dpd", _per_run(_("Hari tunggak"), run_on)),
            Column("grade", _per_run(_("Kolektibilitas"), run_on)),
            Column("grade_note", _("Catatan kolektibilitas")),
            Column("ppap", _per_run(_("PPAP"), run_on), True, sen=True),
        ],
        rows,
        _money_total(rows, "principal", "outstanding", "ppap") | {"number": _("Jumlah")},
        notes=[_run_note(run_on)],
    )


def report_arrears(*, on: date) -> Report:
    """Loans past due by the last daily arrears run's days late (``days_past_due``, the
    column and the ageing named with its date), with what is overdue as of ``on``."""
    run_on = _arrears_run_on()
    loans = (
        Loan.objects.filter(
            status=Loan.Status.DISBURSED, days_past_due__gt=0, restructured_grade=""
        )
        .select_related("member", "product", "member__agency")
        .order_by("-days_past_due", "number")
    )
    rows = []
    for ln in loans:
        d = loan_dues(ln, on)
        rows.append(
            {
                "number": ln.number,
                "member": f"{ln.member.number} {ln.member.full_name}",
                "agency": ln.member.agency.name,
                "dpd": ln.days_past_due,
                "bucket": S.aging_bucket(ln.days_past_due),
                "principal_due": d.principal,
                "jasa_due": d.jasa,
                "penalty_due": d.penalty,
                "outstanding": ln.principal_outstanding,
            }
        )
    buckets = []
    for b in S.AGING_BUCKETS[1:]:
        in_b = [r for r in rows if r["bucket"] == b]
        buckets.append(
            {
                "bucket": b,
                "count": len(in_b),
                "arrears": sum((r["principal_due"] + r["jasa_due"] for r in in_b), ZERO),
                "outstanding": sum((r["outstanding"] for r in in_b), ZERO),
            }
        )
    summary = Report(
        "arrears_buckets",
        _("Umur tunggakan"),
        "",
        [
            Column("bucket", _("Hari")),
            Column("count", _("Jumlah pinjaman")),
            Column("arrears", _("Tunggakan pokok + jasa"), True),
            Column("outstanding", _("Sisa pokok"), True),
        ],
        buckets,
        _money_total(buckets, "arrears", "outstanding")
        | {"bucket": _("Jumlah"), "count": len(rows)},
    )
    return Report(
        "arrears",
        _("Daftar tunggakan pinjaman"),
        _("Per %s") % format_date(on),
        [
            Column("number", _("No. pinjaman")),
            Column("member", _("Anggota")),
            Column("agency", _("Instansi")),
            Column("dpd", _per_run(_("Hari tunggak"), run_on)),
            Column("bucket", _("Umur")),
            Column("principal_due", _("Pokok tertunggak"), True),
            Column("jasa_due", _("Jasa tertunggak"), True),
            Column("penalty_due", _("Denda"), True),
            Column("outstanding", _("Sisa pokok"), True),
        ],
        rows,
        _money_total(rows, "principal_due", "jasa_due", "penalty_due", "outstanding")
        | {"number": _("Jumlah")},
        notes=[
            _run_note(run_on),
            _("Pinjaman yang direstrukturisasi tidak termasuk di sini; lihat daftar terpisah."),
        ],
        sections=[summary, report_restructured(on=on)],
    )


def report_restructured(*, on: date) -> Report:
    """Restructured (rescheduled) loans, listed apart from the arrears: the grade they
    keep until they have paid the set number of instalments on time, the deferred jasa
    not yet recognised, and their arrears under the new terms. Each with whether the
    run its grade column is dated with graded it (``loans_with_grade_dates``): a loan paid
    out after it, or paid since, says so beside its grade, as the outstanding report does."""
    run_on = _arrears_run_on()
    loans = loans_with_grade_dates(
        Loan.objects.filter(status=Loan.Status.DISBURSED)
        .exclude(restructured_grade="")
        .select_related("member", "product", "topup_of")
        .order_by("number")
    )
    rows = []
    for ln in loans:
        d = loan_dues(ln, on)
        rows.append(
            {
                "number": ln.number,
                "member": f"{ln.member.number} {ln.member.full_name}",
                "restructured_on": ln.restructured_on,
                "grade_before": str(KOLEK_LABEL[ln.restructured_grade]),
                "grade": str(KOLEK_LABEL[ln.kolektibilitas]),
                "grade_note": grade_row_note(ln),
                "dpd": ln.days_past_due,
                "arrears": d.principal + d.jasa,
                "outstanding": ln.principal_outstanding,
                "deferred": ln.deferred_jasa,
                "ppap": ln.ppap_amount,
            }
        )
    return Report(
        "restructured",
        _("Pinjaman direstrukturisasi"),
        _("Per %s") % format_date(on),
        [
            Column("number", _("No. pinjaman")),
            Column("member", _("Anggota")),
            Column("restructured_on", _("Direstrukturisasi")),
            Column("grade_before", _("Kolektibilitas saat restrukturisasi")),
            Column("grade", _per_run(_("Kolektibilitas"), run_on)),
            Column("grade_note", _("Catatan kolektibilitas")),
            Column("dpd", _per_run(_("Hari tunggak"), run_on)),
            Column("arrears", _("Tunggakan pokok + jasa"), True),
            Column("outstanding", _("Sisa pokok"), True),
            Column("deferred", _("Jasa ditangguhkan"), True),
            Column("ppap", _per_run(_("PPAP"), run_on), True, sen=True),
        ],
        rows,
        _money_total(rows, "arrears", "outstanding", "deferred", "ppap") | {"number": _("Jumlah")},
    )


def report_collectibility(*, on: date) -> Report:
    s = collectibility_summary()
    run_on = _arrears_run_on()
    rows = [
        {
            "grade": str(KOLEK_LABEL[g["grade"]]),
            "count": g["count"],
            "outstanding": g["outstanding"],
            "share": (g["outstanding"] * 100 / s["total"]).quantize(Decimal("0.01"))
            if s["total"]
            else ZERO,
            "ppap": g["ppap"],
        }
        for g in s["grades"]
    ]
    return Report(
        "collectibility",
        _("Kolektibilitas pinjaman dan NPL"),
        _("Per %s") % format_date(on),
        [
            Column("grade", _per_run(_("Kolektibilitas"), run_on)),
            Column("count", _("Jumlah pinjaman")),
            Column("outstanding", _("Sisa pokok"), True),
            Column("share", _("Porsi (%)")),
            Column("ppap", _per_run(_("PPAP"), run_on), True, sen=True),
        ],
        rows,
        _money_total(rows, "outstanding", "ppap")
        | {"grade": _("Jumlah"), "count": sum(r["count"] for r in rows)},
        notes=[
            _run_note(run_on),
            _("Skema kolektibilitas: %(s)s.") % {"s": _scheme_text(s)},
            _("NPL (Kurang Lancar + Diragukan + Macet): %(n)s%% — %(b)s")
            % {"n": format_percent(s["npl_ratio"]), "b": str(BAND_LABEL[s["band"]])},
            _(
                "Termasuk %(n)s pinjaman direstrukturisasi, sisa pokok %(o)s "
                "(jasa ditangguhkan %(d)s)."
            )
            % {
                "n": s["restructured"]["count"],
                "o": format_rupiah(s["restructured"]["outstanding"]),
                "d": format_rupiah(s["restructured"]["deferred_jasa"]),
            },
            *_grading_notes(run_on),
        ],
    )


def _grading_notes(run_on: date | None) -> list[str]:
    """What the collectibility table holds that the run it is dated with did not grade
    (``collectibility_grading``), as the dashboard says it: the loans paid out after it,
    counted with the grade they were paid out with, and those paid after it. Nothing
    before any run (the run note says none is graded)."""
    if run_on is None:
        return []
    g = collectibility_grading()
    notes = []
    if n := g["not_graded"]:
        notes.append(
            ngettext(
                "Termasuk %(n)s pinjaman yang belum dinilai perhitungan itu (dicairkan "
                "sesudahnya), sisa pokok %(a)s, dengan kolektibilitas saat dicairkan.",
                "Termasuk %(n)s pinjaman yang belum dinilai perhitungan itu (dicairkan "
                "sesudahnya), sisa pokok %(a)s, dengan kolektibilitas saat dicairkan.",
                n,
            )
            % {"n": n, "a": format_rupiah(g["not_graded_outstanding"])}
        )
    if n := g["paid_since"]:
        notes.append(
            ngettext(
                "%(n)s pinjaman dibayar sesudah tanggal itu, belum dinilai ulang.",
                "%(n)s pinjaman dibayar sesudah tanggal itu, belum dinilai ulang.",
                n,
            )
            % {"n": n}
        )
    return notes


def _scheme_text(s: dict) -> str:
    """The grades of the scheme in force as text: "Lancar 0-90 hari (PPAP 0.5%), …"."""
    parts = []
    for g in s["grades"]:
        if g["days_from"] is None:
            continue
        days = (
            f"{g['days_from']}-{g['days_to']}"
            if g["days_to"] is not None
            else f">{g['days_from'] - 1}"
        )
        if g["days_to"] == g["days_from"]:
            days = str(g["days_from"])
        parts.append(
            _("%(g)s %(d)s hari (PPAP %(r)s%%)")
            % {"g": str(KOLEK_LABEL[g["grade"]]), "d": days, "r": format_percent(g["ppap_rate"])}
        )
    return ", ".join(parts)


def _period_said(date_from: date, date_to: date) -> str:
    """``1 Maret 2026 s.d. 31 Maret 2026`` / ``1 March 2026 to 31 March 2026``."""
    return _("%(f)s s.d. %(t)s") % {"f": format_tanggal(date_from), "t": format_tanggal(date_to)}


def report_disbursements(*, date_from: date, date_to: date) -> Report:
    rows = [
        {
            "date": ln.disbursed_on,
            "number": ln.number,
            "member": f"{ln.member.number} {ln.member.full_name}",
            "product": ln.product.code,
            "principal": ln.principal,
            "fees": ln.admin_fee + ln.provisi + ln.insurance + ln.wajib_pinjam + ln.risk_fund,
            "topup": ln.topup_settlement,
            "net": ln.net_disbursed,
        }
        for ln in disbursements_between(date_from, date_to)
    ]
    return Report(
        "disbursements",
        _("Pencairan pinjaman"),
        _period_said(date_from, date_to),
        [
            Column("date", _("Tanggal")),
            Column("number", _("No. pinjaman")),
            Column("member", _("Anggota")),
            Column("product", _("Produk")),
            Column("principal", _("Pokok"), True),
            Column("fees", _("Biaya"), True),
            Column("topup", _("Pelunasan lama"), True),
            Column("net", _("Diterima bersih"), True),
        ],
        rows,
        _money_total(rows, "principal", "fees", "topup", "net") | {"date": _("Jumlah")},
    )


def _write_off_row(wo: LoanWriteOff, on: date, recovered: Decimal) -> dict:
    reversed_ = wo.is_reversed_by(on)
    return {
        "date": wo.on,
        "number": wo.loan.number,
        "member": f"{wo.loan.member.number} {wo.loan.member.full_name}",
        "route": str(wo.get_route_display()),
        "decision": wo.decision_ref,
        "status": wo.status_label(on),
        "amount": wo.amount,
        "ppap_used": wo.ppap_used,
        "expense": wo.expense,
        "recovered": recovered,
        # a reversed write-off leaves nothing written off
        "remaining": ZERO if reversed_ else wo.amount - recovered,
    }


def _write_off_columns() -> list[Column]:
    return [
        Column("date", _("Tanggal")),
        Column("number", _("No. pinjaman")),
        Column("member", _("Anggota")),
        Column("route", _("Jalur")),
        Column("decision", _("Keputusan pengurus")),
        Column("status", _("Status")),
        Column("amount", _("Dihapusbukukan"), True),
        Column("ppap_used", _("Dari PPAP"), True),
        Column("expense", _("Beban PPAP"), True),
        Column("recovered", _("Diterima kembali"), True),
        Column("remaining", _("Sisa"), True),
    ]


def report_write_offs(*, on: date) -> Report:
    """The register of loans written off (hapus buku) and in force on ``on`` (dated on
    or before it, not reversed by then), whatever the route — the board's decision while
    the member stays, or waived at a deceased member's exit (the route says which): the
    decision, its status (*Berlaku*), the amount written off (against the loan's PPAP and
    as expense), the money recovered on it by ``on`` (a recovery reversed by then not
    counted, as in the books of that day) and what remains; the totals are theirs. The
    write-offs reversed by ``on`` follow in a section of the same columns (status
    *Dibatalkan <tanggal>*, nothing remaining, no totals): the CSV lists both, one
    column telling them apart, as the API (``/api/v1/loans/write-offs/``) does."""
    recovered = Sum(
        "recoveries__amount",
        filter=Q(recoveries__paid_on__lte=on)
        & (Q(recoveries__reversed_on__isnull=True) | Q(recoveries__reversed_on__gt=on)),
    )
    wos = (
        LoanWriteOff.objects.filter(Q(reversed_on__isnull=True) | Q(reversed_on__gt=on), on__lte=on)
        .select_related("loan", "loan__member")
        .annotate(recovered=recovered)
        .order_by("on", "id")
    )
    rows = [_write_off_row(wo, on, wo.recovered or ZERO) for wo in wos]
    undone = (
        LoanWriteOff.objects.filter(reversed_on__lte=on)
        .select_related("loan", "loan__member")
        .annotate(recovered=recovered)
        .order_by("reversed_on", "id")
    )
    reversed_rows = [_write_off_row(wo, on, wo.recovered or ZERO) for wo in undone]
    sections = []
    if reversed_rows:
        sections.append(
            Report(
                "write-offs-reversed",
                _("Hapus buku yang dibatalkan"),
                _("Sampai %s") % format_date(on),
                _write_off_columns(),
                reversed_rows,
            )
        )
    return Report(
        "write-offs",
        _("Pinjaman dihapusbukukan"),
        _("Per %s") % format_date(on),
        _write_off_columns(),
        rows,
        _money_total(rows, "amount", "ppap_used", "expense", "recovered", "remaining")
        | {"date": _("Jumlah"), "status": _("Berlaku")},
        sections=sections,
    )


def _repayment_rows(repayments, reversals) -> list[dict]:
    """A report's repayment rows: each repayment as received, and each cancellation
    (``LoanReversal``) a row of its own on the day it was made, its amounts taken back
    (negative): the cancelled receipt stays listed, and the totals are what was kept, as
    in the ledger (the entry and its reversal). By date, a cancellation after what it
    cancels. The receipt numbers are read in one query; a payment that issued none is
    named by what it was (``selectors.repayment_name``)."""
    repayments, reversals = list(repayments), list(reversals)
    named = receipts_prime([*repayments, *(v.repayment for v in reversals)])
    # one that issued no receipt (payroll, top-up, exit) is named by what it was
    repayments_name(named)

    def row(r, *, on: date, receipt: str, sign: int) -> dict:
        def signed(v: Decimal) -> Decimal:
            return -v if sign < 0 and v else v  # no "-0" for a part it did not pay

        return {
            "repayment": r,
            "date": on,
            "receipt": receipt,
            "channel": r.get_channel_display(),
            "penalty": signed(r.penalty_shown),
            "jasa": signed(r.jasa_net),
            "principal": signed(r.principal_shown),
            "sukarela": signed(r.to_sukarela),
            "amount": signed(r.amount),
        }

    rows = [
        (r.paid_on, r.pk, 0, row(r, on=r.paid_on, receipt=repayment_name(r), sign=1))
        for r in repayments
    ]
    for v in reversals:
        r = v.repayment
        label = _("Pembatalan %(r)s") % {"r": repayment_name(r)}
        rows.append((v.on, r.pk, 1, row(r, on=v.on, receipt=label, sign=-1)))
    return [x[-1] for x in sorted(rows, key=lambda x: x[:3])]


def report_repayments(*, date_from: date, date_to: date) -> Report:
    cancelled = LoanReversal.objects.filter(
        kind=LoanReversal.Kind.REPAYMENT, on__gte=date_from, on__lte=date_to
    ).select_related("repayment__loan__member")
    rows = _repayment_rows(repayments_between(date_from, date_to), cancelled)
    for row in rows:
        loan = row.pop("repayment").loan
        row |= {"number": loan.number, "member": f"{loan.member.number} {loan.member.full_name}"}
    return Report(
        "repayments",
        _("Penerimaan angsuran pinjaman"),
        _period_said(date_from, date_to),
        [
            Column("date", _("Tanggal")),
            Column("receipt", _("Kuitansi")),
            Column("number", _("No. pinjaman")),
            Column("member", _("Anggota")),
            Column("channel", _("Cara bayar")),
            Column("penalty", _("Denda"), True),
            Column("jasa", _("Jasa"), True),
            Column("principal", _("Pokok"), True),
            Column("sukarela", _("Ke sukarela"), True),
            Column("amount", _("Jumlah"), True),
        ],
        rows,
        _money_total(rows, "penalty", "jasa", "principal", "sukarela", "amount")
        | {"date": _("Jumlah")},
    )


def report_card(*, loan: Loan, on: date) -> Report:
    """Kartu pinjaman: the current schedule with what was paid, then the repayments."""
    rows = [
        {
            "number": r.number,
            "due_date": r.due_date,
            "principal": r.principal,
            "jasa": r.jasa,
            "total": r.principal + r.jasa,
            "principal_paid": r.principal_paid,
            "jasa_paid": r.jasa_paid,
            "penalty_paid": r.penalty_paid,
            "status": _("Lunas") if r.settled else (_("Tertunggak") if r.due_date < on else ""),
        }
        for r in loan.instalments.filter(is_current=True).order_by("number")
    ]
    reps = _repayment_rows(
        loan.repayments.order_by("paid_on", "id"),
        LoanReversal.objects.filter(loan=loan, kind=LoanReversal.Kind.REPAYMENT).select_related(
            "repayment"
        ),
    )
    for row in reps:
        del row["repayment"]
    m = loan.member
    repayments = Report(
        "card_repayments",
        _("Riwayat pembayaran"),
        "",
        [
            Column("date", _("Tanggal")),
            Column("receipt", _("Kuitansi")),
            Column("channel", _("Cara bayar")),
            Column("penalty", _("Denda"), True),
            Column("jasa", _("Jasa"), True),
            Column("principal", _("Pokok"), True),
            Column("sukarela", _("Ke sukarela"), True),
            Column("amount", _("Jumlah"), True),
        ],
        reps,
        _money_total(reps, "penalty", "jasa", "principal", "sukarela", "amount")
        | {"date": _("Jumlah")},
    )
    return Report(
        "card",
        _("Kartu pinjaman %s") % loan.number,
        f"{m.number} {m.full_name} · {m.agency.name}",
        [
            Column("number", _("Ke")),
            Column("due_date", _("Jatuh tempo")),
            Column("principal", _("Pokok"), True),
            Column("jasa", _("Jasa"), True),
            Column("total", _("Angsuran"), True),
            Column("principal_paid", _("Pokok dibayar"), True),
            Column("jasa_paid", _("Jasa dibayar"), True),
            Column("penalty_paid", _("Denda dibayar"), True),
            Column("status", _("Status")),
        ],
        rows,
        _money_total(
            rows, "principal", "jasa", "total", "principal_paid", "jasa_paid", "penalty_paid"
        )
        | {"number": _("Jumlah")},
        notes=[
            _("Produk %(p)s, pokok %(a)s, %(n)s bulan, jasa %(r)s%% %(per)s (%(m)s).")
            % {
                "p": loan.product.name,
                "a": format_rupiah(loan.principal),
                "n": loan.tenor,
                "r": format_percent(loan.rate),
                "per": loan.get_rate_period_display(),
                "m": loan.get_method_display(),
            },
            _("Sisa pokok per %(d)s: %(s)s · status %(st)s · %(k)s")
            % {
                "d": format_date(on),
                "s": format_rupiah(loan.principal_outstanding),
                "st": loan.status_label,
                "k": str(KOLEK_LABEL[loan.kolektibilitas]),
            },
            # when that grade was set, as the loan's page says it
            *([grade_note(loan, loan_grade_date(loan))] if loan.is_running else []),
        ],
        sections=[repayments],
    )


# --- renderers ----------------------------------------------------------------------


def render_html(report: Report, *, cooperative_name: str = "", standalone: bool = True) -> str:
    return render_to_string(
        "loans/report_print.html", {"report": report, "cooperative_name": cooperative_name}
    )


def render_pdf(report: Report, *, cooperative_name: str = "") -> bytes:
    html = render_html(report, cooperative_name=cooperative_name)
    return html_to_pdf(html)


DATE_FORMAT_XLSX = "dd-mm-yyyy"


def render_xlsx(report: Report, *, cooperative_name: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = report.kind[:31]

    def write(rep: Report, ws, start_row: int) -> int:
        r = start_row
        ws.cell(row=r, column=1, value=safe_cell(str(rep.title))).font = Font(bold=True, size=12)
        r += 1
        if rep.subtitle:
            ws.cell(row=r, column=1, value=safe_cell(str(rep.subtitle)))
            r += 1
        for j, c in enumerate(rep.columns, 1):
            ws.cell(row=r, column=j, value=safe_cell(str(c.label))).font = Font(bold=True)
        r += 1
        for row in rep.rows:
            for j, c in enumerate(rep.columns, 1):
                v = row.get(c.key, "")
                cell = ws.cell(row=r, column=j, value=_xl(v))
                if c.money:
                    cell.number_format = c.number_format
                elif isinstance(v, date):  # as the other exports: 01-03-2026
                    cell.number_format = DATE_FORMAT_XLSX
            r += 1
        if rep.totals:
            for j, c in enumerate(rep.columns, 1):
                v = rep.totals.get(c.key, "")
                cell = ws.cell(row=r, column=j, value=_xl(v))
                cell.font = Font(bold=True)
                if c.money:
                    cell.number_format = c.number_format
            r += 1
        for note in rep.notes:
            ws.cell(row=r, column=1, value=safe_cell(str(note)))
            r += 1
        return r

    r = 1
    if cooperative_name:
        ws.cell(row=1, column=1, value=safe_cell(cooperative_name)).font = Font(bold=True)
        r = 2
    r = write(report, ws, r)
    for sec in report.sections:
        r = write(sec, ws, r + 1)
    return workbook_bytes(wb)


def _xl(v):
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)  # openpyxl needs numbers
    if v is None:
        return ""
    if isinstance(v, date | int | float):
        return v
    return safe_cell(str(v))  # a name like "=HYPERLINK(...)" stays text
