"""Two early withdrawals (pencairan sebelum jatuh tempo) of one berjangka account at the
same moment — two treasurers at the counter, or the screen and the API — on separate
connections that really commit. The withdrawal credits its own month's part-month jasa,
charges the penalty and pays out, then closes the account: exactly one of the two may do
so. The other is refused (the account is closed), the books balanced, the jasa credited
once, one receipt.

Hand figures: jasa 6 % a year on the average daily balance = 0.5 % a month; 10,000,000
from 1 May (of last year); May's run 50,000; broken on 16 June (30 days): 10,050,000 × 15/30 ×
0.5 % = 25,125; paid out 10,075,125, less the 2 % penalty 201,502 (rounded down): the
member receives 9,873,623."""

import threading
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from core.common.errors import ApplicationError
from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import fiscal_year_ensure
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.seeding import product_by_kind
from core.savings.services import (
    savings_account_open,
    savings_early_withdraw,
    savings_interest_accrue,
    teller_deposit,
    teller_withdraw,
)
from tests.concurrency import in_thread, join_all, two_clerks
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


def _last_year() -> int:
    """Last year, its books opened first as an admin would (the scratch cooperative's
    books start this year): a whole year of ended months on any day the suite runs."""
    year = timezone.localdate().year - 1
    fiscal_year_ensure(year=year)
    return year


def _on() -> date:
    """16 June of last year: the day the account is broken / paid out."""
    return date(timezone.localdate().year - 1, 6, 16)


def _broken_account() -> tuple[SavingsAccount, object]:
    """A Hari Raya account bearing jasa (6 %, average daily balance, 2 % early penalty,
    payout 1 March of this year) with 10,000,000 from 1 May of last year and May's jasa run."""
    year = _last_year()
    by = f.user("bendahara")
    p = product_by_kind("berjangka")
    p.amount = D("1000000")
    p.term_months = 10
    p.payout_date = date(year + 1, 3, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.interest_basis = "average"
    p.early_penalty_type = "percent"
    p.early_penalty_value = D("2")
    p.save()
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 5, 1))
    teller_deposit(account=acc, amount=D("10000000"), channel="cash", on=date(year, 5, 1), by=by)
    assert savings_interest_accrue(product=p, year=year, month=5, by=by).gross_interest == D(
        "50000"
    )
    return acc, by


def _withdraw(acc, by):
    def fn():
        savings_early_withdraw(
            account=acc,
            on=_on(),
            channel="cash",
            reason="biaya rumah sakit",
            by=by,
            expected_net=D("9873623"),
        )

    return fn


def _paid_once(acc) -> None:
    """The account paid out once: closed and empty, one jasa credit of 25,125 for June,
    one payout of 9,873,623 with one receipt, one penalty of 201,502; the journal
    balanced, the sub-ledger agreeing with the control account, the cash and the jasa
    expense moved once."""
    year = _on().year
    acc.refresh_from_db()
    assert (acc.status, acc.balance, acc.closed_on) == ("closed", D("0"), _on())
    moves = SavingsTransaction.objects.filter(account=acc, on=_on())
    assert list(moves.filter(kind="interest").values_list("amount", flat=True)) == [D("25125")]
    payouts = list(moves.filter(kind="early_payout").values_list("amount", "receipt_number"))
    assert len(payouts) == 1 and payouts[0][0] == D("9873623"), payouts
    assert payouts[0][1].startswith(f"TAR-{year}-")
    assert list(moves.filter(kind="early_penalty").values_list("amount", flat=True)) == [
        D("201502")
    ]
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    assert_reconciled()
    paid = JournalLine.objects.filter(entry__date=_on(), account=account_for_role("cash"))
    assert paid.aggregate(c=Sum("credit"))["c"] == D("9873623")
    june = JournalLine.objects.filter(
        entry__date__gte=date(year, 6, 1), account=account_for_role("savings_interest_expense")
    )
    assert june.aggregate(d=Sum("debit"))["d"] == D("25125")
    assert account_balance(account=account_for_role("penalty_income")) == D("201502")


def test_two_early_withdrawals_at_once_pay_the_account_out_once(scratch_tenant):
    """Both treasurers confirm at the same moment: one pays out, the other is refused
    because the account is closed (it waited for the first's lock, then read it closed)."""
    connection.set_tenant(scratch_tenant)
    acc, by = _broken_account()
    other = f.user("admin")
    barrier = threading.Barrier(2)

    def at_once(who):
        withdraw = _withdraw(acc, who)

        def fn():
            barrier.wait(timeout=10)
            try:
                withdraw()
            except ApplicationError as e:
                return ("refused", e.code, str(e.message))
            except Exception as e:  # a server error: reported to the assertion
                return ("error", repr(e))
            return ("ok",)

        return fn

    outcome: dict = {}
    join_all(
        [
            in_thread(scratch_tenant, k, at_once(who), outcome)
            for k, who in (("a", by), ("b", other))
        ]
    )
    assert sorted(v[0] for v in outcome.values()) == ["ok", "refused"], outcome
    _kind, code, message = next(v for v in outcome.values() if v[0] == "refused")
    assert code == "savings_account_closed", outcome
    assert acc.number in message and "sudah ditutup" in message
    _paid_once(acc)


def test_second_early_withdrawal_waits_for_the_first_and_is_refused(scratch_tenant):
    """Clerk 1 has paid the account out and not committed yet when clerk 2 confirms the
    same figures: clerk 2 waits for the account's lock, then reads it closed and is
    refused; nothing of clerk 2's is written."""
    connection.set_tenant(scratch_tenant)
    acc, by = _broken_account()
    results = two_clerks(scratch_tenant, _withdraw(acc, by), _withdraw(acc, f.user("admin")))
    assert results == {"1": "ok", "2": "savings_account_closed"}, results
    _paid_once(acc)


def test_two_full_payouts_at_maturity_at_once_credit_the_part_month_once(scratch_tenant):
    """The same account matured (payout date 1 June) and paid out in full at the counter
    on 16 June by two tellers at once, each typing the full figure: 10,050,000 with
    10,050,000 × 15/30 × 0.5 % = 25,125 of June's jasa = 10,075,125. Clerk 1 holds its
    transaction; clerk 2 waits for the account, then finds it in its next cycle (paid
    out, its payout date a term on) and is refused; the jasa credited once, one payout."""
    connection.set_tenant(scratch_tenant)
    acc, by = _broken_account()
    year = _on().year
    p = acc.product
    p.payout_date = date(year, 6, 1)
    p.save()
    acc.payout_date = date(year, 6, 1)
    acc.save(update_fields=["payout_date"])
    teller_1, teller_2 = f.user("petugas"), f.user("petugas")

    def pay(who):
        def fn():
            teller_withdraw(account=acc, amount=D("10075125"), channel="cash", on=_on(), by=who)

        return fn

    results = two_clerks(scratch_tenant, pay(teller_1), pay(teller_2))
    assert results == {"1": "ok", "2": "savings_not_withdrawable"}, results
    acc.refresh_from_db()
    assert (acc.status, acc.balance, acc.payout_date) == ("open", D("0"), date(year + 1, 4, 16))
    moves = SavingsTransaction.objects.filter(account=acc, on=_on())
    assert list(moves.filter(kind="interest").values_list("amount", flat=True)) == [D("25125")]
    assert list(moves.filter(kind="payout").values_list("amount", flat=True)) == [D("10075125")]
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    assert_reconciled()
