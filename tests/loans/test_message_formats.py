"""Dates and percentages in the loans' messages and report notes as the screens write
them: ``5 Januari 2027`` (not ``05-01-2027``), ``0,5%`` and ``10%`` (not ``0.5%`` or
``1E+1%``)."""

from datetime import timedelta

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.loans.reports import report_collectibility
from core.loans.services import loan_disburse


def test_disbursement_date_in_the_future_is_refused_with_the_long_date(make_loan, staff, today):
    loan = make_loan(until="approved")
    later = today + timedelta(days=3)
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=loan, by=staff["bendahara"], on=later)
    assert f"Tanggal pencairan {format_tanggal(later)} di masa depan" in e.value.message
    assert f"({format_tanggal(today)})" in e.value.message
    assert later.strftime("%d-%m-%Y") not in e.value.message


def test_collectibility_notes_write_rates_the_indonesian_way(in_tenant_a, today):
    notes = " ".join(str(n) for n in report_collectibility(on=today).notes)
    assert "Lancar 0-90 hari (PPAP 0,5%)" in notes
    assert "(PPAP 10%)" in notes and "(PPAP 100%)" in notes
    assert "E+" not in notes and "0.5%" not in notes
    assert "NPL (Kurang Lancar + Diragukan + Macet): 0%" in notes
