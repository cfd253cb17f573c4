"""Real concurrency against PostgreSQL: separate connections, committed writes."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.common.errors import ApplicationError

D = Decimal


def _in_thread(coop, fn, results, barrier):
    try:
        connection.set_tenant(coop)
        barrier.wait(timeout=10)
        results.append(("ok", fn()))
    except ApplicationError as e:
        results.append(("refused", e.code))
    except Exception as e:
        results.append(("error", repr(e)))
    finally:
        connection.close()


def test_two_tellers_withdrawing_at_once_never_overdraw(scratch_tenant):
    from core.savings.models import SavingsAccount, SavingsTransaction
    from core.savings.seeding import product_by_kind
    from core.savings.selectors import savings_reconciliation
    from core.savings.services import savings_account_open, teller_deposit, teller_withdraw
    from tests.members import factories as f

    connection.set_tenant(scratch_tenant)
    today = timezone.localdate()
    t1, t2 = f.user("petugas"), f.user("bendahara")
    member = f.member()
    acc = savings_account_open(member=member, product=product_by_kind("sukarela"), on=today)
    rounds = 5
    for _ in range(rounds):
        teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=t1)
        results: list = []
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(
                target=_in_thread,
                args=(
                    scratch_tenant,
                    lambda by=by: teller_withdraw(
                        account=acc, amount=D("70000"), channel="cash", on=today, by=by
                    ),
                    results,
                    barrier,
                ),
            )
            for by in (t1, t2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        kinds = sorted(r[0] for r in results)
        assert kinds == ["ok", "refused"], results
        assert [r[1] for r in results if r[0] == "refused"] == ["savings_insufficient_balance"]
        acc.refresh_from_db()
        assert acc.balance == D("30000")
        # empty the account for the next round (cash-out at the counter)
        teller_withdraw(account=acc, amount=D("30000"), channel="cash", on=today, by=t1)
    assert SavingsAccount.objects.get(pk=acc.pk).balance == 0
    assert SavingsTransaction.objects.filter(account=acc, kind="withdrawal").count() == rounds * 2
    rec = savings_reconciliation()
    assert rec.ok, (rec.rows, rec.member_mismatches)


@pytest.mark.parametrize("workers", [4])
def test_many_tellers_depositing_at_once_lose_nothing(scratch_tenant, workers):
    from core.savings.seeding import product_by_kind
    from core.savings.selectors import savings_reconciliation
    from core.savings.services import savings_account_open, teller_deposit
    from tests.members import factories as f

    connection.set_tenant(scratch_tenant)
    today = timezone.localdate()
    tellers = [f.user("petugas") for _ in range(workers)]
    acc = savings_account_open(member=f.member(), product=product_by_kind("sukarela"), on=today)
    results: list = []
    barrier = threading.Barrier(workers)
    threads = [
        threading.Thread(
            target=_in_thread,
            args=(
                scratch_tenant,
                lambda by=by: (
                    teller_deposit(
                        account=acc, amount=D("12345"), channel="cash", on=today, by=by
                    ).receipt_number
                ),
                results,
                barrier,
            ),
        )
        for by in tellers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [r[0] for r in results] == ["ok"] * workers, results
    assert len({r[1] for r in results}) == workers  # distinct receipt numbers
    acc.refresh_from_db()
    assert acc.balance == D("12345") * workers
    assert savings_reconciliation().ok
