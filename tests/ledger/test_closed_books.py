"""Closed books stay closed (issue 22): no posting dated on or before the latest closed
month, none before the books start, every date in the API and forms bounded."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger import reports
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, period_close

D = Decimal


def _lines(amount="250000"):
    return [LineSpec("1101", debit=D(amount)), LineSpec("3106", credit=D(amount))]


def books_today(real: date) -> date:
    """The day these tests run on: the real today from February on; in January (when
    this January has not ended, or has just ended and today lies in it) 1 February, so
    that January of this year can be closed and today is after it. Last year stays the
    one year before the books (the test cooperatives' first fiscal year is this year)."""
    return date(real.year, 2, 1) if real.month == 1 else real


@pytest.fixture
def today(today, today_is):
    """``books_today``: the cooperative's today is fixed to it when it is not the real
    one (``tests/ledger/test_any_day.py`` runs the scenario on fixed days)."""
    day = books_today(today)
    return today if day == today else today_is(day)


@pytest.fixture
def january_closed(in_tenant_a, bendahara, today):
    """Last year's books open, January of this year closed (the issue's scenario)."""
    fiscal_year_ensure(year=today.year - 1)
    journal_post(on=date(today.year, 1, 10), description="Setoran", by=bendahara, lines=_lines())
    period_close(period=Period.objects.get(start_date=date(today.year, 1, 1)), by=bendahara)
    return date(today.year, 1, 31)


def _backdated(today):
    return date(today.year - 1, 6, 15)


def test_backdated_entry_before_a_closed_month_is_refused(january_closed, bendahara, today):
    before = reports.trial_balance(as_of=january_closed)
    with pytest.raises(ApplicationError) as exc:
        journal_post(on=_backdated(today), description="Mundur", by=bendahara, lines=_lines())
    assert exc.value.code == "period_closed"
    assert format_tanggal(january_closed) in exc.value.message
    assert reports.trial_balance(as_of=january_closed) == before
    assert not JournalEntry.objects.filter(description="Mundur").exists()


def test_backdated_entry_is_refused_for_every_module_source(january_closed, bendahara, today):
    for source in ("savings", "loan", "deduction", "opening", "member"):
        with pytest.raises(ApplicationError) as exc:
            journal_post(
                on=_backdated(today),
                description="Mundur",
                by=bendahara,
                lines=_lines(),
                source=source,
                source_ref=f"x-{source}",
            )
        assert exc.value.code == "period_closed"


def test_backdated_manual_entry_through_the_api_is_refused(january_closed, login, today):
    resp = login("bendahara").post(
        "/api/v1/ledger/entries/",
        {
            "date": _backdated(today).isoformat(),
            "description": "Mundur",
            "lines": [
                {"account": "1101", "debit": "250000"},
                {"account": "3106", "credit": "250000"},
            ],
        },
        content_type="application/json",
    )
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == "period_closed"


def test_year_close_entry_may_go_into_the_open_year_before_a_closed_month(
    january_closed, bendahara, today
):
    """The year end's own entries (income tax, SHU to SHU belum dibagi) on the last day of
    a year not closed yet, after January of the next year was closed (before the RAT);
    and their reversal on that day when the year is reopened."""
    from core.ledger.services import journal_reverse

    year_end = date(today.year - 1, 12, 31)
    entry = journal_post(
        on=year_end,
        description="Pajak tahun lalu",
        by=bendahara,
        lines=_lines(),
        source="shu",
        source_ref="yearend:x:tax:1",
        year_close=True,
    )
    assert entry.date == year_end
    back = journal_reverse(
        entry=entry, on=year_end, reason="buka kembali", by=bendahara, module="shu", year_close=True
    )
    assert back.reverses_id == entry.pk and back.date == year_end


def test_year_close_exemption_is_for_year_end_entries_only(january_closed, bendahara, today):
    from core.ledger.services import journal_reverse

    year_end = date(today.year - 1, 12, 31)
    refused = [
        # a normal entry (any source) into the closed-over dates
        {"on": year_end, "source": "manual"},
        {"on": year_end, "source": "shu", "source_ref": "yearend:x:post"},
        # year_close: only the year end's source, only the last day of the year
        {"on": year_end, "source": "manual", "year_close": True},
        {"on": date(today.year - 1, 12, 30), "source": "shu", "year_close": True},
        {"on": date(today.year, 1, 31), "source": "shu", "year_close": True},
    ]
    for kw in refused:
        with pytest.raises(ApplicationError) as exc:
            journal_post(description="Mundur", by=bendahara, lines=_lines(), **kw)
        assert exc.value.code == "period_closed", kw
    assert not JournalEntry.objects.filter(description="Mundur").exists()
    entry = journal_post(
        on=year_end,
        description="Pajak",
        by=bendahara,
        lines=_lines(),
        source="shu",
        source_ref="yearend:x:tax:1",
        year_close=True,
    )
    with pytest.raises(ApplicationError) as exc:  # a year-close reversal on another day
        journal_reverse(
            entry=entry, on=today, reason="x", by=bendahara, module="shu", year_close=True
        )
    assert exc.value.code == "period_closed"
    with pytest.raises(ApplicationError) as exc:  # a normal reversal into the closed-over days
        journal_reverse(entry=entry, on=year_end, reason="x", by=bendahara, module="shu")
    assert exc.value.code == "period_closed"
    # a year whose December is closed takes nothing, year-end entry or not
    period_close(period=Period.objects.get(start_date=date(today.year - 1, 12, 1)), by=bendahara)
    with pytest.raises(ApplicationError) as exc:
        journal_post(
            on=year_end,
            description="Mundur",
            by=bendahara,
            lines=_lines(),
            source="shu",
            source_ref="yearend:x:tax:2",
            year_close=True,
        )
    assert exc.value.code == "period_closed"


def test_posting_after_the_closed_month_still_works(january_closed, bendahara, today):
    entry = journal_post(on=today, description="Hari ini", by=bendahara, lines=_lines())
    assert entry.pk


def test_year_one_is_never_created(in_tenant_a, bendahara, login):
    with pytest.raises(ApplicationError) as exc:
        journal_post(on=date(1, 1, 1), description="Kuno", by=bendahara, lines=_lines())
    assert exc.value.code == "date_before_books_start"
    resp = login("bendahara").post(
        "/api/v1/ledger/entries/",
        {
            "date": "0001-01-01",
            "description": "Kuno",
            "lines": [{"account": "1101", "debit": "1"}, {"account": "3106", "credit": "1"}],
        },
        content_type="application/json",
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "date_out_of_range"
    assert "date" in resp.json()["error"]["fields"]
    assert not FiscalYear.objects.filter(year=1).exists()


def test_fiscal_year_far_before_the_books_cannot_be_opened(in_tenant_a, today):
    first = FiscalYear.objects.order_by("year").first().year
    fiscal_year_ensure(year=first - 1)  # opening balances: one year before is allowed
    for year in (first - 3, 1):
        with pytest.raises(ApplicationError) as exc:
            fiscal_year_ensure(year=year)
        assert exc.value.code == "date_before_books_start"
    assert not FiscalYear.objects.filter(year__lt=first - 1).exists()


def test_fiscal_year_wholly_closed_over_cannot_be_opened(january_closed, today):
    # the year before the first one would be allowed, but January after it is closed
    with pytest.raises(ApplicationError) as exc:
        fiscal_year_ensure(year=today.year - 2)
    assert exc.value.code == "period_closed"
    assert not FiscalYear.objects.filter(year=today.year - 2).exists()


def test_manual_form_refuses_out_of_range_date(login, in_tenant_a, today):
    c = login("bendahara")
    resp = c.post(
        "/buku-besar/jurnal/baru/",
        {
            "date": "0001-01-01",
            "description": "Kuno",
            "account_0": "1101",
            "debit_0": "1000",
            "account_1": "3106",
            "credit_1": "1000",
        },
        follow=True,
    )
    assert resp.status_code == 200
    assert "di luar rentang" in resp.content.decode()
    assert not JournalEntry.objects.filter(description="Kuno").exists()


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ledger/reports/trial-balance/",
        "/api/v1/ledger/reports/balance-sheet/",
        "/api/v1/ledger/reports/income-statement/",
        "/api/v1/ledger/reports/equity-changes/",
        "/api/v1/ledger/reports/cash-flow/",
        "/api/v1/ledger/entries/",
    ],
)
def test_report_and_list_dates_out_of_range_are_a_json_400(login, in_tenant_a, url, raw):
    c = login("bendahara")
    for param in ("date_from", "date_to"):
        resp = c.get(f"{url}?{param}={raw}")
        assert resp.status_code == 400, (url, param, resp.status_code)
        err = resp.json()["error"]
        assert err["code"] == "date_out_of_range" and param in err["fields"]


def test_general_ledger_report_date_out_of_range_is_a_json_400(login, in_tenant_a):
    from core.ledger.models import Account

    acc = Account.objects.get(code="1101")
    resp = login("bendahara").get(
        f"/api/v1/ledger/reports/general-ledger/{acc.pk}/?date_from=0001-01-01"
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "date_out_of_range"


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31"])
def test_report_screens_with_extreme_dates_show_an_error_not_a_500(login, in_tenant_a, raw):
    c = login("bendahara")
    for kind in ("neraca", "neraca-saldo", "phu", "perubahan-ekuitas", "arus-kas"):
        for param in ("date_from", "date_to"):
            resp = c.get(f"/buku-besar/laporan/{kind}/?{param}={raw}")
            assert resp.status_code == 200, (kind, param)
            assert "di luar rentang" in resp.content.decode()


def test_reversal_date_out_of_range_is_refused(login, in_tenant_a, bendahara, today):
    entry = journal_post(on=today, description="Setoran", by=bendahara, lines=_lines())
    far = today + timedelta(days=400)
    resp = login("bendahara").post(
        f"/api/v1/ledger/entries/{entry.pk}/reverse/",
        {"date": far.isoformat(), "reason": "salah"},
        content_type="application/json",
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "date_out_of_range"


def test_db_refuses_entry_dated_on_or_before_latest_closed_month(january_closed, today):
    """Around the service: a raw entry in an open month before the closed January."""
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        on = _backdated(today)
        cur.execute(
            "INSERT INTO ledger_journalentry (fiscal_year, number, date, description, source,"
            " source_ref, status) VALUES (%s, 99999, %s, 'raw', 'savings', '', 'posted')",
            [on.year, on],
        )


def test_db_lets_a_year_close_entry_through_only_on_an_open_year_end(january_closed, today):
    """Around the service: a raw year-close entry passes on the last day of the open
    year (before the closed January), not on another day nor with another source."""

    def insert(on, source, year_close):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO ledger_journalentry (fiscal_year, number, date, description, source,"
                " source_ref, status, year_close) VALUES (%s, 99999, %s, 'raw', %s, '', 'posted',"
                " %s)",
                [on.year, on, source, year_close],
            )
            transaction.set_rollback(True)  # the entry has no lines: not committed

    year_end = date(today.year - 1, 12, 31)
    insert(year_end, "shu", True)
    for on, source, year_close in (
        (year_end, "shu", False),
        (date(today.year - 1, 12, 30), "shu", True),
        (year_end, "manual", True),
    ):
        with pytest.raises(DatabaseError):
            insert(on, source, year_close)


def test_opening_balances_may_open_the_year_before_the_books_only(in_tenant_a, bendahara):
    first = FiscalYear.objects.order_by("year").first().year
    # (once first - 1 holds postings it is the books' first year: first - 3 is two before)
    for on, ok in ((date(first - 1, 12, 31), True), (date(first - 3, 12, 31), False)):
        kwargs = {
            "description": "Saldo awal",
            "by": bendahara,
            "lines": _lines(),
            "source": "opening",
            "source_ref": f"open-{on.year}",
        }
        if ok:
            assert journal_post(on=on, **kwargs).fiscal_year == on.year
        else:
            with pytest.raises(ApplicationError) as exc:
                journal_post(on=on, **kwargs)
            assert exc.value.code == "date_before_books_start"
    # a manual entry in that year stays refused unless the year was opened on purpose
    with pytest.raises(ApplicationError):
        journal_post(on=date(first - 3, 6, 1), description="x", by=bendahara, lines=_lines())
