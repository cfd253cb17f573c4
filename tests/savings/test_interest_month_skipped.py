"""A product's jasa simpanan run for a month after a month that was never run: the
members would silently never get the skipped month's jasa (its opening would lack it and
no later run pays it). Refused — screen, API and the monthly auto run alike —, naming the
missing month(s) and the way out (run them in order), nothing written; its own error
code (``savings_interest_month_skipped``). Not refused: the product's first run ever,
and months the product had no account in yet or that the old books paid (before the
opening balances of a move-in / member import). Before, the later month ran and the
skipped one was lost."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.savings.models import InterestRun, SavingsTransaction
from core.savings.services import (
    interest_runs_through,
    savings_account_open,
    savings_deposit_apply,
    savings_interest_accrue,
    savings_interest_auto_run,
    savings_interest_reverse,
    transactions_link_entry,
)
from tests.members import factories as f

from .conftest import assert_reconciled
from .test_interest import _fund

D = Decimal
CODE = "savings_interest_month_skipped"


@pytest.fixture
def product(products):
    p = products["sukarela"]
    p.interest_rate_annual = D("12")
    p.save()
    return p


@pytest.fixture
def funded(product, teller, year):
    # funded on 1 January: February is the first month whose lowest balance is all of it
    acc = savings_account_open(member=f.member(), product=product, on=date(year, 1, 1))
    _fund(acc, D("1000000"), date(year, 1, 1), teller)
    return product, acc


@pytest.fixture
def bendahara(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    user = f.user("bendahara")
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(user)
    c.user = user
    return c


def _state():
    return (
        InterestRun.objects.count(),
        JournalEntry.objects.count(),
        SavingsTransaction.objects.count(),
        AuditEvent.objects.count(),
    )


def _credited(acc) -> dict:
    return dict(
        SavingsTransaction.objects.filter(
            account=acc, kind="interest", reversed_by__isnull=True
        ).values_list("on", "amount")
    )


def test_a_month_after_a_month_never_run_is_refused_naming_it_and_nothing_is_written(
    funded,
    teller,
    year,
):
    p, acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    before = _state()
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=p, year=year, month=4, by=teller)
    assert e.value.code == CODE
    msg = str(e.value.message)
    assert f"Maret {year}" in msg and f"April {year}" in msg and f"Februari {year}" in msg
    assert "berurutan" in msg and "Tidak ada yang diubah" in msg
    assert e.value.fields["missing"] == [f"{year}-03"]
    assert e.value.fields["month"]
    assert _state() == before
    assert _credited(acc) == {date(year, 2, 28): D("10000")}
    assert_reconciled()


def test_several_missing_months_are_named_as_a_range(funded, teller, year):
    p, _acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=p, year=year, month=6, by=teller)
    assert e.value.code == CODE
    assert f"Maret {year} sampai Mei {year} (3 bulan)" in str(e.value.message)
    assert e.value.fields["missing"] == [f"{year}-03", f"{year}-04", f"{year}-05"]
    assert not InterestRun.objects.filter(product=p, month=6).exists()


def test_run_in_order_after_the_refusal_every_month_is_paid(funded, teller, year):
    p, acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    with pytest.raises(ApplicationError):
        savings_interest_accrue(product=p, year=year, month=4, by=teller)
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    savings_interest_accrue(product=p, year=year, month=4, by=teller)
    # 1 % a month, each month on the balance holding the months before
    assert _credited(acc) == {
        date(year, 2, 28): D("10000"),
        date(year, 3, 31): D("10100"),
        date(year, 4, 30): D("10201"),
    }
    assert_reconciled()


def test_the_first_run_ever_is_not_refused_whatever_its_month(funded, teller, year):
    p, acc = funded  # open and funded since January, never run
    run = savings_interest_accrue(product=p, year=year, month=4, by=teller)
    assert run.gross_interest == D("10000")


def test_all_runs_reversed_the_product_starts_again_from_any_month(funded, teller, year):
    """Every run taken back (each reversal reasoned and audited): nothing of the product's
    jasa is left to build on, so the next run is a first run again (the board may have
    decided the jasa starts later)."""
    p, _acc = funded
    feb = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    savings_interest_reverse(run=feb, by=f.user("bendahara"), reason="jasa mulai April")
    run = savings_interest_accrue(product=p, year=year, month=4, by=teller)
    assert run.gross_interest == D("10000")


def test_months_before_the_products_first_account_are_not_missing(product, teller, year):
    savings_interest_accrue(product=product, year=year, month=1, by=teller)  # no account yet
    acc = savings_account_open(member=f.member(), product=product, on=date(year, 4, 10))
    _fund(acc, D("1000000"), date(year, 4, 10), teller)
    # February and March had no account of the product: nothing to pay, not missing;
    # April had one: it is
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=product, year=year, month=5, by=teller)
    assert e.value.fields["missing"] == [f"{year}-04"]
    savings_interest_accrue(product=product, year=year, month=4, by=teller)
    savings_interest_accrue(product=product, year=year, month=5, by=teller)
    assert InterestRun.objects.filter(product=product).count() == 3


def _opening_balance(acc, amount, on, by):
    """The member import's opening balance (a move-in's cut-over, or the cooperative's
    start in Lumbung): the old books paid the months up to ``on``."""
    a = savings_deposit_apply(
        account=acc, amount=amount, on=on, by=by, channel="opening", kind="opening"
    )
    e = journal_post(
        on=on,
        description="saldo awal uji",
        lines=[LineSpec(account_for_role("opening_balance"), debit=amount), *a.lines],
        by=by,
        source="opening",
        source_ref=f"uji-saldo-awal:{acc.pk}",
    )
    transactions_link_entry(transactions=[a.transaction], entry=e)


def test_months_up_to_the_opening_balances_date_are_the_old_books_not_missing(
    product, teller, year
):
    # a run made before the move-in on an empty product, then the cut-over 31 March
    savings_interest_accrue(product=product, year=year - 1, month=12, by=teller)
    acc = savings_account_open(member=f.member(), product=product, on=date(year, 1, 2))
    _opening_balance(acc, D("1000000"), date(year, 3, 31), teller)
    # January to March are the old books' (the opening balance holds their jasa)
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=product, year=year, month=5, by=teller)
    assert e.value.fields["missing"] == [f"{year}-04"]
    run = savings_interest_accrue(product=product, year=year, month=4, by=teller)
    assert run.gross_interest == D("10000")
    assert_reconciled()


def test_the_auto_run_refuses_the_month_after_a_missing_one_and_says_so(funded, teller, year):
    p, acc = funded
    p.interest_auto = True
    p.save()
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    result = savings_interest_auto_run(on=date(year, 5, 1))  # April, March never run
    assert result["runs"] == [{"product": p.code, "error": CODE}]
    assert not InterestRun.objects.filter(product=p, month=4).exists()
    failed = AuditEvent.objects.filter(action="savings.interest_auto_failed").get()
    assert f"Maret {year}" in failed.reason
    assert _credited(acc) == {date(year, 2, 28): D("10000")}


def test_a_credit_dated_in_the_missing_month_is_still_taken_and_paid_by_its_run(
    funded, teller, year
):
    """The payroll batch's check (``interest_runs_through``: refused in or before the
    latest month run) agrees: a month not run takes credits, and its run, made before
    the next month's, pays them."""
    p, acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    assert interest_runs_through(product_ids=[p.pk], on=date(year, 3, 15)) == {}
    _fund(acc, D("500000"), date(year, 3, 15), teller)
    with pytest.raises(ApplicationError):
        savings_interest_accrue(product=p, year=year, month=4, by=teller)
    mar = savings_interest_accrue(product=p, year=year, month=3, by=teller)
    # minimum basis: the lowest balance of March (1,010,000 before the deposit)
    assert mar.gross_interest == D("10100")
    assert set(interest_runs_through(product_ids=[p.pk], on=date(year, 3, 15))) == {p.pk}
    assert_reconciled()


def test_the_screen_says_the_missing_month_and_runs_nothing(funded, teller, bendahara, year):
    p, _acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    before = _state()
    r = bendahara.post(
        "/simpanan/rekonsiliasi/", {"product": p.pk, "year": f"{year}", "month": "4"}, follow=True
    )
    assert r.status_code == 200
    msgs = [str(m) for m in r.context["messages"]]
    assert any(f"Maret {year}" in m and "berurutan" in m for m in msgs), msgs
    assert _state() == before


def test_the_api_refuses_with_its_own_code_then_runs_the_months_in_order(
    funded, teller, bendahara, year
):
    p, _acc = funded
    url = "/api/v1/savings/interest-runs/"
    r = bendahara.post(
        url, {"product": p.pk, "year": year, "month": 2}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["gross_interest"] == "10000.00"
    before = _state()
    r = bendahara.post(
        url, {"product": p.pk, "year": year, "month": 4}, content_type="application/json"
    )
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == CODE and f"Maret {year}" in err["message"]
    assert err["fields"]["missing"] == [f"{year}-03"]
    assert _state() == before
    r = bendahara.post(
        url, {"product": p.pk, "year": year, "month": 3}, content_type="application/json"
    )
    assert r.status_code == 201, r.content


def test_the_api_run_is_the_treasurys_and_a_bad_month_is_said(funded, login_teller, year):
    p, _acc = funded
    url = "/api/v1/savings/interest-runs/"
    r = login_teller.post(
        url, {"product": p.pk, "year": year, "month": 2}, content_type="application/json"
    )
    assert r.status_code == 403
    assert not InterestRun.objects.exists()


@pytest.fixture
def login_teller(tenant_a, in_tenant_a, teller):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(teller)
    return c


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"year": 2026, "month": 1}, 400),  # no product
        ({"product": "x", "year": 2026, "month": 1}, 400),
        ({"product": 999999, "year": 2026, "month": 1}, 404),
        ({"product": "P", "year": 2026, "month": 13}, 400),
        ({"product": "P", "year": "2026a", "month": 1}, 400),
    ],
)
def test_the_api_refuses_bad_input_and_runs_nothing(funded, bendahara, body, status):
    p, _acc = funded
    body = {k: (p.pk if v == "P" else v) for k, v in body.items()}
    r = bendahara.post("/api/v1/savings/interest-runs/", body, content_type="application/json")
    assert r.status_code == status, r.content
    assert "error" in r.json()
    assert not InterestRun.objects.exists()
