# ruff: noqa: F811, F401
"""Exit settlement with a real loan from core.loans (its selector and settle hook)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.loans.models import Loan
from core.members.services import heir_add
from core.savings.models import SavingsAccount
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.loans.conftest import _media, make_loan, member, product, staff
from tests.savings.conftest import assert_reconciled

D = Decimal


def _loans_reconciled():
    from tests.loans.conftest import assert_reconciled as loans_ok

    loans_ok()


@pytest.fixture
def funded(products, member, staff, today):
    # saved before the earliest exit date the tests choose (25 days ago): a settlement is
    # never dated before the member's last savings movement
    on = today - timedelta(days=30)
    if on.year < today.year:  # early January: last year's books opened, as make_loan does
        from core.ledger.services import fiscal_year_ensure

        fiscal_year_ensure(year=on.year)
    for kind, amount in (("pokok", "100000"), ("wajib", "2400000"), ("sukarela", "9000000")):
        acc = savings_account_get_or_open(member=member, product=products[kind], on=on)
        teller_deposit(account=acc, amount=D(amount), channel="bank", on=on, by=staff["petugas"])
    return member


def test_settlement_offsets_loans_outstanding(funded, make_loan, staff, today):
    loan = make_loan(principal=D("10000000"), days_ago=40)
    p = exit_settlement_preview(member=funded, on=today)
    assert p.loans_outstanding >= D("10000000")
    assert p.net_payable == p.savings_total - p.loans_outstanding
    s = exit_settlement_confirm(
        member=funded,
        reason="retired",
        on=today,
        by=staff["bendahara"],
        expected_net=p.net_payable,
    )
    assert s.loans_outstanding == p.loans_outstanding and s.net_payable == p.net_payable
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert not SavingsAccount.objects.filter(member=funded, status="open").exists()
    assert_reconciled()
    _loans_reconciled()


def test_loans_exceeding_savings_refused_unless_waived_on_death(
    member, make_loan, staff, today, products
):
    acc = savings_account_get_or_open(member=member, product=products["pokok"], on=today)
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=staff["petugas"])
    loan = make_loan(principal=D("10000000"), days_ago=40)
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=member, reason="resigned", on=today, by=staff["bendahara"])
    assert e.value.code == "settlement_loans_exceed_savings"
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    # death with a board decision: the loan is written off, the savings go to the heirs
    heir_add(member=member, by=staff["bendahara"], full_name="Maria Tingang", relationship="istri")
    s = exit_settlement_confirm(
        member=member,
        reason="deceased",
        on=today,
        by=staff["bendahara"],
        waive_loans=True,
        waiver_reason="Meninggal dunia; asuransi tidak menanggung",
        board_decision_ref="SK Pengurus 12/2026",
    )
    assert s.loans_waived == s.loans_outstanding > 0
    # wajib pinjam credited at disbursement is returned too
    assert s.net_payable == s.savings_total > D("100000")
    loan.refresh_from_db()
    assert loan.status != Loan.Status.DISBURSED
    assert_reconciled()
    _loans_reconciled()


# --- the screen pays what it showed (waived loans; an exit date other than today) -------


def _screen(client_a, user):
    from django.test import Client

    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    return c


def _hidden(body: str, name: str) -> str:
    import re

    m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', body) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', body
    )
    return m.group(1)


def test_screen_waiving_loans_refuses_when_figure_changed_since_shown(
    client_a, products, member, make_loan, staff, today
):
    from django.urls import reverse

    from core.members.models import Member
    from core.savings.models import ExitSettlement

    acc = savings_account_get_or_open(member=member, product=products["pokok"], on=today)
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=staff["petugas"])
    make_loan(principal=D("10000000"), days_ago=40)
    heir_add(member=member, by=staff["bendahara"], full_name="Maria Tingang", relationship="istri")
    c = _screen(client_a, staff["bendahara"])
    url = reverse("exits:settle", args=[member.pk])
    page = c.get(url)
    shown_if_waived = page.context["net_waived"]
    body = page.content.decode()
    # money lands on the member's sukarela between the screen and the click
    suk = savings_account_get_or_open(member=member, product=products["sukarela"], on=today)
    teller_deposit(account=suk, amount=D("5000000"), channel="cash", on=today, by=staff["petugas"])
    post = {
        "reason": "deceased",
        "on": today.isoformat(),
        "channel": "cash",
        "payee": "heirs",
        "waive_loans": "on",
        "waiver_reason": "Meninggal dunia",
        "board_decision_ref": "SK 1/2026",
    }
    fields = ("expected_net", "expected_net_waived", "shown_on")
    r = c.post(url, {**post, **{f: _hidden(body, f) for f in fields}})
    assert r.status_code == 200 and "Saldo berubah" in r.content.decode()
    assert not ExitSettlement.objects.filter(member=member).exists()
    assert Member.objects.get(pk=member.pk).is_active
    # the page now shows the new figure; confirming it pays exactly that
    body = r.content.decode()
    assert r.context["net_waived"] == shown_if_waived + D("5000000")
    r = c.post(url, {**post, **{f: _hidden(body, f) for f in fields}})
    assert r.status_code == 302
    assert ExitSettlement.objects.get(member=member).net_payable == shown_if_waived + D("5000000")


def test_screen_exit_dated_25_days_ago_with_loan_confirmed_after_seeing_that_date(
    client_a, funded, make_loan, staff, today
):
    from datetime import timedelta

    from django.urls import reverse

    from core.members.models import Member
    from core.savings.models import ExitSettlement

    make_loan(principal=D("10000000"), days_ago=40)
    exit_on = today - timedelta(days=25)
    net_then = exit_settlement_preview(member=funded, on=exit_on).net()
    assert net_then != exit_settlement_preview(member=funded, on=today).net()
    c = _screen(client_a, staff["bendahara"])
    url = reverse("exits:settle", args=[funded.pk])
    post = {"reason": "retired", "on": exit_on.isoformat(), "channel": "bank", "payee": "member"}
    fields = ("expected_net", "expected_net_waived", "shown_on")

    # shown for today, submitted for 25 days ago: the page shows that date's figures
    body = c.get(url).content.decode()
    r = c.post(url, {**post, **{f: _hidden(body, f) for f in fields}})
    assert r.status_code == 200
    assert r.context["preview"].on == exit_on and r.context["preview"].net() == net_then
    assert "kini untuk tanggal" in r.content.decode()
    assert not ExitSettlement.objects.filter(member=funded).exists()
    # submitting what the page now shows settles, for that date and that figure
    body = r.content.decode()
    r = c.post(url, {**post, **{f: _hidden(body, f) for f in fields}})
    assert r.status_code == 302
    s = ExitSettlement.objects.get(member=funded)
    assert s.on == exit_on and s.net_payable == net_then
    assert Member.objects.get(pk=funded.pk).status == Member.Status.RETIRED


def test_screen_date_chosen_above_the_calculation_shows_and_confirms_that_date(
    client_a, funded, make_loan, staff, today
):
    from datetime import timedelta

    from django.urls import reverse

    from core.savings.models import ExitSettlement

    make_loan(principal=D("10000000"), days_ago=40)
    exit_on = today - timedelta(days=25)
    c = _screen(client_a, staff["bendahara"])
    url = reverse("exits:settle", args=[funded.pk])
    page = c.get(url, {"on": exit_on.isoformat()})
    assert page.context["preview"].on == exit_on
    body = page.content.decode()
    assert _hidden(body, "shown_on") == exit_on.isoformat()
    post = {"reason": "retired", "on": exit_on.isoformat(), "channel": "bank", "payee": "member"}
    fields = ("expected_net", "expected_net_waived", "shown_on")
    r = c.post(url, {**post, **{f: _hidden(body, f) for f in fields}})
    assert r.status_code == 302
    assert ExitSettlement.objects.get(member=funded).on == exit_on
