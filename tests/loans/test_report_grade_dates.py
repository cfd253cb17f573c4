"""The loan reports that show a grade or days late say when they were set, as the loans
list does. The outstanding report headed its grade column with the last daily arrears
run's date but listed a loan paid out after that run (graded by nobody yet) or paid
since under it as if that run had graded it; the arrears report's days late (from the
same run) had no date; the loan card (kartu pinjaman) gave the grade with no date."""

from datetime import timedelta
from decimal import Decimal as D

from django.test import Client
from django.utils import translation

from core.common.dates import format_date, format_tanggal
from core.loans.arrears import loans_arrears_update
from core.loans.reports import (
    report_arrears,
    report_card,
    report_collectibility,
    report_outstanding,
)
from core.loans.services import loan_repay, loan_reschedule
from tests.members import factories as f


def _other_member():
    return f.member(take_home_pay=D(9_000_000))


def _labels(report) -> dict[str, str]:
    return {c.key: str(c.label) for c in report.columns}


def test_outstanding_report_notes_the_loans_the_run_did_not_grade(make_loan, staff, today):
    graded = make_loan(days_ago=20)  # nothing due yet
    paid = make_loan(who=_other_member(), days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=paid, amount=D(500_000), by=staff["petugas"], on=today)
    fresh = make_loan(who=_other_member(), principal=D(2_000_000))  # after the run
    report = report_outstanding(on=today)
    assert _labels(report)["grade_note"] == "Catatan kolektibilitas"
    notes = {row["number"]: (row["grade"], row["grade_note"]) for row in report.rows}
    assert notes == {
        graded.number: ("Lancar", ""),
        paid.number: ("Lancar", "dibayar sesudahnya, belum dinilai ulang"),
        fresh.number: ("Lancar", "belum dinilai"),
    }


def test_arrears_report_dates_the_days_late(make_loan, today):
    loan = make_loan(days_ago=70)  # the first instalment long due, nothing paid
    run_on = today - timedelta(days=1)
    loans_arrears_update(on=run_on)
    loan.refresh_from_db()
    assert loan.days_past_due > 0
    report = report_arrears(on=today)
    d = format_date(run_on)
    assert _labels(report)["dpd"] == f"Hari tunggak per {d}"
    assert [row["number"] for row in report.rows] == [loan.number]
    notes = " ".join(str(n) for n in report.notes)
    assert f"Kolektibilitas, hari tunggak dan PPAP menurut perhitungan tunggakan {d}" in notes


def test_arrears_report_before_any_run_says_days_late_are_not_computed(make_loan, today):
    make_loan(days_ago=70)
    report = report_arrears(on=today)
    assert _labels(report)["dpd"] == "Hari tunggak (belum dihitung)"
    assert "Perhitungan tunggakan belum pernah dijalankan" in " ".join(report.notes)


def test_loan_card_dates_the_grade(make_loan, today):
    graded = make_loan(days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    fresh = make_loan(who=_other_member(), principal=D(2_000_000))
    day = format_tanggal(today - timedelta(days=1))
    assert f"Kolektibilitas per {day}" in report_card(loan=graded, on=today).notes
    assert "Kolektibilitas belum dinilai (proses tunggakan berikutnya)" in (
        report_card(loan=fresh, on=today).notes
    )


def test_loan_card_page_dates_the_grade_in_english(client_a, make_loan, staff, today):
    loan = make_loan(days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(staff["bendahara"])
    c.cookies["django_language"] = "en"
    html = c.get(f"/pinjaman/{loan.pk}/kartu/").content.decode()
    with translation.override("en"):
        day = format_tanggal(today - timedelta(days=1))
    assert f"Collectibility as of {day}" in html


def test_collectibility_report_says_what_the_run_did_not_grade(make_loan, staff, today):
    make_loan(days_ago=20)
    paid = make_loan(who=_other_member(), days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=paid, amount=D(500_000), by=staff["petugas"], on=today)
    make_loan(who=_other_member(), principal=D(2_000_000))  # after the run
    make_loan(who=_other_member(), principal=D(3_000_000))
    report = report_collectibility(on=today)
    assert report.totals["count"] == 4  # the loans not graded are in the table
    assert (
        "Termasuk 2 pinjaman yang belum dinilai perhitungan itu (dicairkan sesudahnya), "
        "sisa pokok Rp 5.000.000, dengan kolektibilitas saat dicairkan."
    ) in report.notes
    assert "1 pinjaman dibayar sesudah tanggal itu, belum dinilai ulang." in report.notes
    with translation.override("en"):
        notes = report_collectibility(on=today).notes
    assert (
        "Includes 2 loans not graded by that run (paid out after it), outstanding "
        "Rp 5.000.000, with the grade they were paid out with."
    ) in notes
    assert "1 loan paid after that date is not regraded yet." in notes


def test_collectibility_report_with_every_loan_graded_adds_no_note(make_loan, today):
    make_loan(days_ago=20)
    loans_arrears_update(on=today)
    notes = " ".join(report_collectibility(on=today).notes)
    assert "belum dinilai" not in notes


def test_arrears_reports_restructured_section_notes_the_loans_the_run_did_not_grade(
    make_loan, staff, today, client_a
):
    """Its grade column is headed with the run's date (``_per_run``) but a restructured
    loan that run did not grade (paid out after it) or that was paid since said nothing
    beside its grade; now each row says so, as the outstanding report does."""
    graded = make_loan(days_ago=20)
    paid = make_loan(who=_other_member(), days_ago=20)
    for loan in (graded, paid):
        loan_reschedule(
            loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=today - timedelta(5)
        )
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=paid, amount=D(500_000), by=staff["petugas"], on=today)
    fresh = make_loan(who=_other_member(), principal=D(2_000_000))  # after the run
    loan_reschedule(loan=fresh, by=staff["ketua"], tenor=12, reason="Gaji turun", on=today)
    section = next(s for s in report_arrears(on=today).sections if s.kind == "restructured")
    assert _labels(section)["grade_note"] == "Catatan kolektibilitas"
    notes = {row["number"]: (row["grade"], row["grade_note"]) for row in section.rows}
    assert notes == {
        graded.number: ("Lancar", ""),
        paid.number: ("Lancar", "dibayar sesudahnya, belum dinilai ulang"),
        fresh.number: ("Lancar", "belum dinilai"),
    }
    client_a.force_login(staff["pengawas"])
    html = client_a.get("/pinjaman/laporan/arrears/").content.decode()
    assert "Catatan kolektibilitas" in html
    assert "dibayar sesudahnya, belum dinilai ulang" in html
    with translation.override("en"):
        section = next(s for s in report_arrears(on=today).sections if s.kind == "restructured")
        notes = {row["number"]: row["grade_note"] for row in section.rows}
    assert (notes[paid.number], notes[fresh.number]) == (
        "paid since, not regraded yet",
        "not graded yet",
    )
