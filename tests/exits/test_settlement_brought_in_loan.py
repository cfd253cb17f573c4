"""The exit settlement of a member whose loan was brought in at a move-in is not dated on
or before the cut-over: the loan's opening balances are as at the end of that day, so a
settlement dated then would pay rows the old books had counted (the arrears, brought in on
the jasa receivable) as if they were still owed on that date. Refused with the loan and the
cut-over named, nothing written; the day after, it is taken."""

# ruff: noqa: F811, F401
from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.loans.models import Loan, Repayment
from core.members.models import Member
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.onboarding.conftest import by, cutover, members, move_in, product, staff
from tests.onboarding.helpers import arrears_row

TB = [
    {"row": 2, "account": "1101", "debit": "50000000", "credit": ""},
    {"row": 3, "account": "1103", "debit": "7000000", "credit": ""},
    {"row": 4, "account": "1105", "debit": "240000", "credit": ""},
    {"row": 5, "account": "1104", "debit": "", "credit": "35000"},
    {"row": 6, "account": "3103", "debit": "", "credit": "57205000"},
]


@pytest.fixture
def brought_in(move_in, by, members, product, cutover, products):
    """Member 1's loan brought in (two instalments in arrears, 240,000 jasa on the
    receivable), and 20,000,000 of sukarela saved ten days before the cut-over (no
    savings movement holds the exit date back)."""
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    (loan,) = loans_import(move_in=move_in, rows=[arrears_row(members[1], cutover)], by=by)
    saved = cutover - timedelta(days=10)
    acc = savings_account_get_or_open(member=members[1], product=products["sukarela"], on=saved)
    teller_deposit(account=acc, amount=D(20_000_000), channel="bank", on=saved, by=by)
    loan.refresh_from_db()
    return loan


def _receivable() -> D:
    return account_balance(account=account_for_role("loan_interest_receivable"))


@pytest.mark.parametrize("days", [0, 10])
def test_exit_settlement_on_or_before_the_cutover_of_a_brought_in_loan_is_refused(
    brought_in, by, members, cutover, days
):
    member = members[1]
    on = cutover - timedelta(days=days)
    entries = JournalEntry.objects.count()
    preview = exit_settlement_preview(member=member, on=on)
    assert preview.refused  # the screen offers no confirm button, and says why
    assert any(brought_in.number in m for m in preview.loan_refusals), preview.loan_refusals
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(
            member=member,
            reason="resigned",
            on=on,
            by=by,
            expected_net=preview.net_payable,
        )
    msg = str(e.value.message)
    assert brought_in.number in msg and format_tanggal(cutover) in msg, msg
    assert "on" in e.value.fields
    assert JournalEntry.objects.count() == entries
    assert not Repayment.objects.filter(loan=brought_in).exists()
    brought_in.refresh_from_db()
    assert brought_in.status == Loan.Status.DISBURSED
    assert brought_in.jasa_receivable == D("240000") and _receivable() == D("240000")
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_exit_settlement_the_day_after_the_cutover_settles_the_brought_in_loan(
    brought_in, by, members, cutover
):
    member = members[1]
    on = cutover + timedelta(days=1)
    preview = exit_settlement_preview(member=member, on=on)
    assert not preview.refused
    exit_settlement_confirm(
        member=member, reason="resigned", on=on, by=by, expected_net=preview.net_payable
    )
    brought_in.refresh_from_db()
    assert brought_in.status == Loan.Status.CLOSED and brought_in.closed_on == on
    assert brought_in.jasa_receivable == 0 and _receivable() == 0


def test_exit_screen_on_the_cutover_says_why_and_offers_no_confirmation(
    brought_in, by, members, cutover, client_a
):
    from django.test import Client
    from django.urls import reverse

    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(by)
    url = reverse("exits:settle", args=[members[1].pk])
    html = c.get(url, {"on": cutover.isoformat()}).content.decode()
    assert "tidak dapat dikonfirmasi" in html and brought_in.number in html
    assert "tanggal pindah ke Lumbung" in html
    assert "Konfirmasi penyelesaian</button>" not in html
    assert "Blokir rekening" not in html  # not the frozen-account hint
    later = (cutover + timedelta(days=1)).isoformat()
    html = c.get(url, {"on": later}).content.decode()
    assert "Konfirmasi penyelesaian</button>" in html
