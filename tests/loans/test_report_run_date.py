"""The loan outstanding and collectibility reports show today's outstanding beside the
grade, days late and PPAP the last daily arrears run stored (a loan repaid since keeps
its PPAP until the next run, and the ledger's allowance with it): those columns name the
run's date, and a note says so, so a treasurer does not read them as today's."""

from datetime import timedelta

from core.common.dates import format_date
from core.loans.arrears import loans_arrears_update
from core.loans.reports import (
    render_html,
    report_arrears,
    report_collectibility,
    report_outstanding,
)


def _labels(report) -> dict[str, str]:
    return {c.key: str(c.label) for c in report.columns}


def test_grade_and_ppap_columns_name_the_arrears_run_they_come_from(make_loan, today):
    make_loan(days_ago=20)
    run_on = today - timedelta(days=2)
    loans_arrears_update(on=run_on)
    d = format_date(run_on)
    out = report_outstanding(on=today)
    labels = _labels(out)
    assert labels["grade"] == f"Kolektibilitas per {d}"
    assert labels["ppap"] == f"PPAP per {d}"
    assert labels["dpd"] == f"Hari tunggak per {d}"
    assert labels["outstanding"] == "Sisa pokok"  # today's
    col = report_collectibility(on=today)
    assert _labels(col)["grade"] == f"Kolektibilitas per {d}"
    assert _labels(col)["ppap"] == f"PPAP per {d}"
    restructured = report_arrears(on=today).sections[1]
    assert _labels(restructured)["ppap"] == f"PPAP per {d}"
    note = (
        f"Kolektibilitas, hari tunggak dan PPAP menurut perhitungan tunggakan {d}; sisa "
        "pokok per hari ini."
    )
    for report in (out, col):
        notes = " ".join(str(n) for n in report.notes)
        assert note in notes, report.kind
        assert "sampai perhitungan berikutnya" in notes
        assert f"PPAP per {d}" in render_html(report)


def test_before_any_arrears_run_the_columns_say_not_yet_computed(make_loan, today):
    make_loan(days_ago=20)
    for report in (report_outstanding(on=today), report_collectibility(on=today)):
        assert _labels(report)["ppap"] == "PPAP (belum dihitung)", report.kind
        assert _labels(report)["grade"] == "Kolektibilitas (belum dihitung)"
        notes = " ".join(str(n) for n in report.notes)
        assert "Perhitungan tunggakan belum pernah dijalankan" in notes
