"""Dates, percentages and amounts in the loans' messages and report notes as the screens
write them: ``5 Januari 2027`` (not ``05-01-2027``), ``0,5%`` and ``10%`` (not ``0.5%`` or
``1E+1%``), ``Rp 1.234.567`` (``format_rupiah``, in English too)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import translation

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.loans.reports import report_card, report_collectibility
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


@pytest.mark.parametrize(
    ("lang", "principal", "outstanding", "restructured"),
    [
        ("id", "pokok Rp 12.345.678,", ": Rp 12.345.678 · status", "sisa pokok Rp 0 ("),
        ("en", "principal Rp 12.345.678,", ": Rp 12.345.678 · status", "principal Rp 0 ("),
    ],
)
def test_report_notes_write_amounts_as_rupiah(
    make_loan, today, lang, principal, outstanding, restructured
):
    loan = make_loan(principal=D("12345678"))
    with translation.override(lang):
        card = " ".join(str(n) for n in report_card(loan=loan, on=today).notes)
        grades = " ".join(str(n) for n in report_collectibility(on=today).notes)
    assert principal in card and outstanding in card, card
    assert restructured in grades, grades
