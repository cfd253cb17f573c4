"""Closing the books up to a fiscal year's last day (December's close, the year close) is
refused while loans ran on it and no arrears/PPAP run is dated it (the loans app's close
guard): once December is closed that run could no longer post its allowance, and the RAT
pack's collectibility is its snapshot. The refusal says where the run is made; made
there, the close goes ahead."""

import html
from datetime import date, timedelta

import pytest
from django.urls import reverse

from core.ledger.models import FiscalYear, Period
from core.ledger.services import fiscal_year_close, period_close
from core.loans.arrears_asof import loans_arrears_run
from core.loans.models import ArrearsRun
from core.yearend.selectors import close_checklist


@pytest.fixture
def year_end(today):
    return date(today.year - 1, 12, 31)


@pytest.fixture
def loan_over_year_end(make_loan, year_end, today):
    return make_loan(days_ago=(today - year_end).days + 45)


def test_december_close_is_refused_without_the_year_end_run(loan_over_year_end, staff, year_end):
    december = Period.objects.get(end_date=year_end)
    with pytest.raises(Exception) as e:
        period_close(period=december, by=staff["bendahara"])
    assert e.value.code == "loan_arrears_run_missing"
    msg = str(e.value.message)
    assert f"Buku tidak dapat ditutup sampai 31 Desember {year_end.year}" in msg
    assert "1 pinjaman berjalan" in msg and "Tidak ada yang ditutup" in msg
    assert "Proses tunggakan dan PPAP" in msg
    december.refresh_from_db()
    assert december.status == "open"
    assert not Period.objects.filter(status="closed").exists()

    # the treasurer makes the run as of 31 December from the screen, then closes
    loans_arrears_run(on=year_end, by=staff["bendahara"])
    period_close(period=december, by=staff["bendahara"])
    december.refresh_from_db()
    assert december.status == "closed"


def test_year_close_is_refused_without_the_year_end_run(loan_over_year_end, staff, year_end):
    fy = FiscalYear.objects.get(end_date=year_end)
    with pytest.raises(Exception) as e:
        fiscal_year_close(fiscal_year=fy, by=staff["bendahara"])
    assert e.value.code == "loan_arrears_run_missing"
    fy.refresh_from_db()
    assert fy.status == "open"


def test_other_months_and_years_without_loans_close_as_before(make_loan, staff, year_end, today):
    make_loan(days_ago=(today - year_end).days + 45)
    november = Period.objects.get(end_date=date(year_end.year, 11, 30))
    period_close(period=november, by=staff["bendahara"])  # not a year's last day
    assert not ArrearsRun.objects.exists()


def test_a_year_no_loan_ran_through_closes_without_a_run(staff, year_end, in_tenant_a):
    from core.ledger.services import fiscal_year_ensure

    fiscal_year_ensure(year=year_end.year)
    december = Period.objects.get(end_date=year_end)
    period_close(period=december, by=staff["bendahara"])
    december.refresh_from_db()
    assert december.status == "closed"


def test_close_confirmation_names_the_missing_run_and_links_its_page(
    loan_over_year_end, staff, year_end, client_a
):
    client_a.force_login(staff["bendahara"])
    december = Period.objects.get(end_date=year_end)
    resp = client_a.post("/buku-besar/periode/", {"action": "close", "period": december.pk})
    page = html.unescape(resp.content.decode())
    box = page.split('id="confirm-refusal"')[1].split("</div>")[0]
    assert "perhitungan tunggakan dan PPAP per 31 Desember" in box, box
    assert f'href="{reverse("loans:arrears_run")}"' in box, box
    assert "Buka Proses tunggakan dan PPAP" in box
    assert 'id="confirm-button"' not in page


def test_year_end_checklist_fixes_the_arrears_item_on_the_run_page(
    loan_over_year_end, year_end, in_tenant_a
):
    item = next(i for i in close_checklist(year=year_end.year) if i.key == "arrears_run")
    assert not item.ok
    assert item.fix_url == reverse("loans:arrears_run")


def test_the_run_page_offers_last_years_december_while_it_is_open(
    loan_over_year_end, staff, year_end, client_a, today
):
    client_a.force_login(staff["bendahara"])
    page = client_a.get(reverse("loans:arrears_run")).content.decode()
    assert f'value="{year_end.isoformat()}"' in page
    assert year_end + timedelta(days=1) <= today
