"""The month's jasa run started twice at once (two treasurers, or the screen and the
automatic run): one runs, the other waits and is refused as done already — never a
server error from the database's uniqueness check, never a second run. Real
connections, committed writes."""

import threading
from datetime import date
from decimal import Decimal

from django.db import connection

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


def test_two_runs_of_one_month_at_once_run_it_once(scratch_tenant):
    from django.utils import timezone

    from core.ledger.services import fiscal_year_ensure
    from core.savings.models import InterestRun, SavingsTransaction
    from core.savings.seeding import product_by_kind
    from core.savings.selectors import savings_reconciliation
    from core.savings.services import (
        savings_account_open,
        savings_interest_accrue,
        teller_deposit,
    )
    from tests.members import factories as f

    connection.set_tenant(scratch_tenant)
    # last year, opened first as an admin would: February has ended on any day
    year = timezone.localdate().year - 1
    fiscal_year_ensure(year=year)
    p = product_by_kind("sukarela")
    p.interest_rate_annual = D("12")
    p.save()
    teller, bendahara = f.user("petugas"), f.user("bendahara")
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 1, 1))
    teller_deposit(account=acc, amount=D("1000000"), channel="bank", on=date(year, 1, 1), by=teller)
    results: list = []
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(
            target=_in_thread,
            args=(
                scratch_tenant,
                lambda by=by: savings_interest_accrue(product=p, year=year, month=2, by=by).pk,
                results,
                barrier,
            ),
        )
        for by in (teller, bendahara)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert [r[1] for r in results if r[0] == "refused"] == ["savings_interest_already_accrued"]
    assert InterestRun.objects.filter(product=p, year=year, month=2).count() == 1
    assert SavingsTransaction.objects.filter(account=acc, kind="interest").count() == 1
    rec = savings_reconciliation()
    assert rec.ok, (rec.rows, rec.member_mismatches)
