"""A year closed through the year end is reopened there only (admin, with a reason), not
on the ledger's periods page or API — whatever its SHU. Before, the ledger's reopen was
refused only when the year end had moved an SHU to SHU belum dibagi: a year closed with a
zero SHU had no such move, so its December reopened in the ledger while its ``YearEnd``
stayed closed (books open, the RAT pack saying closed). The ledger's fiscal year carries
the mark (``FiscalYear.closed_by_year_end``, set by the year end's close, cleared by its
reopen; the ledger imports nothing of the year end)."""

from datetime import date
from decimal import Decimal
from html import escape
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction

from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import (
    LineSpec,
    fiscal_year_ensure,
    journal_post,
    period_close,
    period_reopen,
)
from core.yearend.models import YearEnd
from core.yearend.services import yearend_close, yearend_reopen
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries

D = Decimal
REFUSAL = f"Tahun buku {YEAR} ditutup lewat menu Tutup buku & SHU; buka kembali di sana"


def _year_with(*, income: str, expense: str, by) -> YearEnd:
    """One member's pokok; ``income`` of other income and ``expense`` of expense in June;
    the checklist done and the year closed through the year end."""
    fiscal_year_ensure(year=YEAR)
    _deposit(f.member(full_name="Satu"), "pokok", "100000", date(YEAR, 1, 10), by)
    lines = []
    if D(income):
        lines += [
            LineSpec(account_for_role("cash"), debit=D(income)),
            LineSpec(account_for_role("other_income"), credit=D(income)),
        ]
    if D(expense):
        lines += [
            LineSpec(account_for_role("savings_interest_expense"), debit=D(expense)),
            LineSpec(account_for_role("cash"), credit=D(expense)),
        ]
    journal_post(on=date(YEAR, 6, 30), description="Usaha", source="manual", by=by, lines=lines)
    close_preliminaries(by)
    return yearend_close(year=YEAR, by=by)


@pytest.fixture
def zero_shu_year(staff):
    """Income and expense of Rp 50,000 each: closed with an SHU of exactly zero, so no
    move to SHU belum dibagi."""
    ye = _year_with(income="50000", expense="50000", by=staff["bendahara"])
    assert ye.shu_after_tax == 0 and ye.transfer_entry_id is None
    return ye


@pytest.fixture
def deficit_year(staff):
    ye = _year_with(income="0", expense="50000", by=staff["bendahara"])
    assert ye.shu_after_tax == D("-50000")
    return ye


def _state() -> tuple:
    """The year's books and year-end state: the ledger's year, December, the closing
    entries, the year end's row."""
    return (
        FiscalYear.objects.get(year=YEAR).status,
        Period.objects.get(fiscal_year__year=YEAR, month=12).status,
        JournalEntry.objects.filter(source="closing", fiscal_year=YEAR).count(),
        YearEnd.objects.get(year=YEAR).status,
    )


CLOSED = ("closed", "closed", 1, "closed")


@pytest.mark.parametrize("month", [12, 3])
def test_ledger_reopen_refused_for_a_zero_shu_year(zero_shu_year, staff, month):
    period = Period.objects.get(fiscal_year__year=YEAR, month=month)
    with pytest.raises(ApplicationError) as e:
        period_reopen(period=period, reason="koreksi", by=staff["admin"])
    assert e.value.code == "year_closed_by_year_end"
    assert e.value.status_code == 409
    assert REFUSAL in e.value.message and "khusus admin" in e.value.message
    assert e.value.fields == {"reopen_page": f"/tutup-buku/{YEAR}/"}
    assert _state() == CLOSED
    assert FiscalYear.objects.get(year=YEAR).closed_by_year_end is True


def test_ledger_reopen_refused_for_a_deficit_year(deficit_year, staff):
    december = Period.objects.get(fiscal_year__year=YEAR, month=12)
    with pytest.raises(ApplicationError) as e:
        period_reopen(period=december, reason="koreksi", by=staff["admin"])
    assert e.value.code == "year_closed_by_year_end"
    assert _state() == CLOSED
    assert account_balance(account=account_for_role("shu_undistributed")) == D("-50000")


def test_periods_page_reopen_refused_with_the_way_out(zero_shu_year, client_as):
    december = Period.objects.get(fiscal_year__year=YEAR, month=12)
    r = client_as("admin").post(
        "/buku-besar/periode/",
        {"action": "reopen", "period": december.pk, "reason": "koreksi"},
        follow=True,
    )
    page = r.content.decode()
    assert r.status_code == 200
    assert escape(REFUSAL) in page, page
    assert f"Periode Desember {YEAR} dibuka kembali" not in page
    assert _state() == CLOSED


def test_api_reopen_refused_as_json(zero_shu_year, client_as):
    december = Period.objects.get(fiscal_year__year=YEAR, month=12)
    r = client_as("admin").post(
        f"/api/v1/ledger/periods/{december.pk}/reopen/",
        {"reason": "koreksi"},
        content_type="application/json",
    )
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == "year_closed_by_year_end"
    assert REFUSAL in err["message"]
    assert err["fields"] == {"reopen_page": f"/tutup-buku/{YEAR}/"}
    assert _state() == CLOSED


def test_after_the_year_ends_reopen_the_ledger_reopens_and_closes_months(zero_shu_year, staff):
    admin, by = staff["admin"], staff["bendahara"]
    yearend_reopen(year=YEAR, reason="koreksi", by=admin)
    fy = FiscalYear.objects.get(year=YEAR)
    assert fy.status == "open" and fy.closed_by_year_end is False
    november = Period.objects.get(fiscal_year__year=YEAR, month=11)
    period_reopen(period=november, reason="koreksi beban", by=admin)
    assert Period.objects.get(pk=november.pk).status == "open"
    period_close(period=november, by=by)
    period_close(period=Period.objects.get(fiscal_year__year=YEAR, month=12), by=by)
    # closed again through the year end: marked again, the ledger refuses again
    ye = yearend_close(year=YEAR, by=by)
    assert ye.status == "closed"
    assert FiscalYear.objects.get(year=YEAR).closed_by_year_end is True
    with pytest.raises(ApplicationError) as e:
        period_reopen(period=november, reason="lagi", by=admin)
    assert e.value.code == "year_closed_by_year_end"


def test_database_refuses_an_open_year_marked_closed_by_the_year_end(zero_shu_year):
    with pytest.raises(IntegrityError), transaction.atomic():
        FiscalYear.objects.filter(year=YEAR).update(status="open")


def test_migration_marks_years_closed_by_the_year_end(zero_shu_year, staff):
    """Years closed through the year end before the mark existed: marked by the data
    migration (closed or posted, the ledger's year closed); a reopened one is not."""
    FiscalYear.objects.filter(year=YEAR).update(closed_by_year_end=False)
    migration = import_module("core.yearend.migrations.0009_fiscal_year_closed_by_year_end")
    migration.forwards(django_apps, None)
    assert FiscalYear.objects.get(year=YEAR).closed_by_year_end is True
    migration.forwards(django_apps, None)  # once only, no harm
    assert FiscalYear.objects.get(year=YEAR).closed_by_year_end is True
    with pytest.raises(ApplicationError):
        period_reopen(
            period=Period.objects.get(fiscal_year__year=YEAR, month=12),
            reason="koreksi",
            by=staff["admin"],
        )
    yearend_reopen(year=YEAR, reason="koreksi", by=staff["admin"])
    migration.forwards(django_apps, None)
    assert FiscalYear.objects.get(year=YEAR).closed_by_year_end is False
