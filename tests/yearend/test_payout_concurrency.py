"""Two SHU payout batches of the same year posted at the same moment (two treasurers at
the counter, or the screen and the API): separate connections, real commits. Each batch
is one journal entry with its own reference; the second must not be refused as a
duplicate posting because both counted the same earlier payouts.

Payout reversals at the same moment: two of the same payout (exactly one reverses it,
the other is refused as reversed already; one reversing entry, the books balanced), and
two of two payouts of one batch (both reversed, each its own reference, the sukarela
credits taken back)."""

import threading
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import fiscal_year_ensure
from core.savings.models import SavingsAccount, SavingsTransaction
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.reversal import shu_payout_reverse
from core.yearend.services import shu_payout, shu_post, yearend_close
from tests.concurrency import in_thread, join_all, two_clerks
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries, year_result_post

D = Decimal
RAT = date(YEAR + 1, 3, 1)
PAID_ON = date(YEAR + 1, 3, 10)


def _posted_year() -> dict:
    """Two savers with capital, Rp 10,000,000 other income, the year closed and its SHU
    posted after the RAT: both have an unpaid share."""
    by = f.user("bendahara")
    fiscal_year_ensure(year=YEAR)
    m1, m2 = f.member(full_name="Satu"), f.member(full_name="Dua")
    _deposit(m1, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m2, "pokok", "100000", date(YEAR, 1, 10), by)
    for m in (m1, m2):  # credited to sukarela: no receipt series to queue on
        _deposit(m, "sukarela", "1", date(YEAR, 1, 10), by)
    year_result_post(by, "10000000")
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="04/RAT/2026", by=by)
    return {"by": by, "m1": m1, "m2": m2}


def test_two_payout_batches_at_once_both_post_with_their_own_reference(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    data = _posted_year()
    by = data["by"]
    members = {"m1": data["m1"].pk, "m2": data["m2"].pk}
    assert MemberShare.objects.filter(member_id__in=members.values(), total__gt=0).count() == 2
    outcome: dict = {}
    barrier = threading.Barrier(2)

    def pay(member_id):
        def fn():
            barrier.wait(timeout=10)  # both at once
            return [
                p.pk
                for p in shu_payout(
                    year=YEAR, items=[(member_id, None)], method="sukarela", by=by, on=PAID_ON
                )
            ]

        return fn

    join_all([in_thread(scratch_tenant, k, pay(mid), outcome) for k, mid in members.items()])
    assert all(isinstance(outcome.get(k), list) for k in members), outcome
    refs = sorted(
        JournalEntry.objects.filter(source="shu", source_ref__contains=":payout:").values_list(
            "source_ref", flat=True
        )
    )
    assert len(refs) == 2 and len(set(refs)) == 2, refs
    assert ShuPayout.objects.count() == 2
    # every share paid, and the ledger owes the members nothing more
    assert all(s.paid == s.total for s in MemberShare.objects.filter(total__gt=0))
    assert account_balance(account=account_for_role("shu_members_payable")) == 0


def _books_balanced() -> None:
    """The journal balances, and the sukarela sub-ledger (accounts, their movements)
    agrees with its control account."""
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    accounts = SavingsAccount.objects.filter(product__kind="sukarela")
    control = accounts.first().product.account
    held = sum((a.balance for a in accounts), D("0"))
    assert held == account_balance(account=control)
    for a in accounts:
        moved = SavingsTransaction.objects.filter(account=a).aggregate(s=Sum("delta"))["s"]
        assert a.balance == moved


def _code(fn):
    """What a thread reports: "ok", or the refusal's code (anything else: its repr)."""

    def run():
        try:
            fn()
        except ApplicationError as e:
            return e.code
        return "ok"

    return run


def _paid_both(by, m1, m2) -> tuple[ShuPayout, ShuPayout]:
    p1, p2 = shu_payout(
        year=YEAR, items=[(m1.pk, None), (m2.pk, None)], method="sukarela", by=by, on=PAID_ON
    )
    return p1, p2


def test_two_reversals_of_the_same_payout_one_holding_its_transaction(scratch_tenant):
    """Clerk 1 has reversed the payout and not committed yet when clerk 2 reverses it
    too: clerk 2 waits for the year's row, then reads the payout reversed and is refused."""
    connection.set_tenant(scratch_tenant)
    data = _posted_year()
    by, m1, m2 = data["by"], data["m1"], data["m2"]
    p1, _p2 = _paid_both(by, m1, m2)
    acc = SavingsAccount.objects.get(member=m1, product__kind="sukarela")

    def reverse():
        shu_payout_reverse(payout=p1, reason="salah anggota", by=by)

    results = two_clerks(scratch_tenant, reverse, reverse)
    assert results == {"1": "ok", "2": "shu_payout_already_reversed"}, results
    assert JournalEntry.objects.filter(source_ref__endswith=":reverse").count() == 1
    assert SavingsTransaction.objects.filter(account=acc, kind="reversal").count() == 1
    acc.refresh_from_db()
    assert acc.balance == D("1")  # the credit taken back once
    share = MemberShare.objects.get(pk=p1.share_id)
    assert share.paid == 0
    payable = account_for_role("shu_members_payable")
    assert account_balance(account=payable, member_id=m1.pk) == share.total
    _books_balanced()


def test_two_reversals_of_the_same_payout_at_once(scratch_tenant):
    """Both start together (neither holds a transaction first): exactly one reverses."""
    connection.set_tenant(scratch_tenant)
    data = _posted_year()
    by, m1, m2 = data["by"], data["m1"], data["m2"]
    _p1, p2 = _paid_both(by, m1, m2)
    barrier = threading.Barrier(2)

    def reverse():
        barrier.wait(timeout=10)
        shu_payout_reverse(payout=p2, reason="dobel", by=by)

    outcome: dict = {}
    join_all([in_thread(scratch_tenant, k, _code(reverse), outcome) for k in ("a", "b")])
    assert sorted(outcome.values()) == ["ok", "shu_payout_already_reversed"], outcome
    assert JournalEntry.objects.filter(source_ref__endswith=":reverse").count() == 1
    acc = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    assert acc.balance == D("1")
    assert MemberShare.objects.get(pk=p2.share_id).paid == 0
    _books_balanced()


def test_two_reversals_of_two_payouts_of_one_batch_at_once(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    data = _posted_year()
    by, m1, m2 = data["by"], data["m1"], data["m2"]
    p1, p2 = _paid_both(by, m1, m2)
    barrier = threading.Barrier(2)

    def reverse(p):
        def fn():
            barrier.wait(timeout=10)
            shu_payout_reverse(payout=p, reason="salah cara", by=by)

        return _code(fn)

    outcome: dict = {}
    join_all([in_thread(scratch_tenant, p.pk, reverse(p), outcome) for p in (p1, p2)])
    assert outcome == {p1.pk: "ok", p2.pk: "ok"}, outcome
    refs = sorted(
        JournalEntry.objects.filter(source_ref__endswith=":reverse").values_list(
            "source_ref", flat=True
        )
    )
    assert refs == sorted(f"yearend:{YEAR}:payout:{p.pk}:reverse" for p in (p1, p2))
    numbers = {str(ShuPayout.objects.get(pk=p.pk).reversal_entry) for p in (p1, p2)}
    assert len(numbers) == 2
    for m, p in ((m1, p1), (m2, p2)):
        acc = SavingsAccount.objects.get(member=m, product__kind="sukarela")
        assert acc.balance == D("1")  # each credit taken back, nothing else
        assert SavingsTransaction.objects.filter(account=acc, kind="reversal").count() == 1
        assert MemberShare.objects.get(pk=p.share_id).paid == 0
    payable = account_for_role("shu_members_payable")
    assert account_balance(account=payable) == sum(
        (s.total for s in MemberShare.objects.all()), D("0")
    )
    _books_balanced()


def test_a_reversal_while_the_member_withdraws_the_credit_is_refused(scratch_tenant):
    """Clerk 1 pays out the member's sukarela (SHU credit included) at the counter and
    has not committed when clerk 2 reverses the SHU payout: clerk 2 waits for the
    account, then finds the money gone and is refused; the withdrawal stands."""
    from core.savings.services import teller_withdraw

    connection.set_tenant(scratch_tenant)
    data = _posted_year()
    by, m1, m2 = data["by"], data["m1"], data["m2"]
    p1, _p2 = _paid_both(by, m1, m2)
    acc = SavingsAccount.objects.get(member=m1, product__kind="sukarela")
    assert acc.balance == p1.amount + 1

    results = two_clerks(
        scratch_tenant,
        lambda: teller_withdraw(account=acc, amount=p1.amount, channel="cash", on=PAID_ON, by=by),
        lambda: shu_payout_reverse(payout=p1, reason="salah", by=by),
    )
    assert results == {"1": "ok", "2": "shu_payout_reversal_withdrawn"}, results
    acc.refresh_from_db()
    assert acc.balance == D("1")
    assert ShuPayout.objects.get(pk=p1.pk).reversed_at is None
    assert not JournalEntry.objects.filter(source_ref__endswith=":reverse").exists()
    _books_balanced()
