"""The demo's payroll deduction month: last month's batch is posted for every agency, as
``make demo`` says ("last month posted and this month generated"), and what each batch
posted equals what its lines record as cut and allocated."""

from decimal import Decimal as D

from django.db.models import Sum
from django.utils import timezone

from core.deductions.models import DeductionImport, DeductionLine, DeductionRun
from core.deductions.seeding import deductions_demo_seed
from core.ledger.selectors import account_for_role
from core.loans.schedules import add_months
from core.loans.seeding import loans_demo_seed
from core.savings.seeding import savings_demo_seed
from tests.members import factories as f

from .conftest import assert_reconciled


def test_demo_posts_last_months_batch_of_every_agency_with_the_demo_loans(in_tenant_a):
    """Seeded as ``seed_demo`` does (savings, loans, then deductions), every agency's file
    of last month was left "invalid" and nothing posted: the demo loans' instalments are
    paid at the counter up to today, so the run's default receipt date (its payday, the
    1st) came before those payments and every row paying a loan was refused for its
    date. The demo posts on the date the loans take (today) now."""
    for role in ("admin", "ketua", "bendahara", "petugas"):
        f.user(role)
    savings_demo_seed()
    loans_demo_seed()
    deductions_demo_seed()
    today = timezone.localdate()
    prev = add_months(today.replace(day=1), -1)
    run = DeductionRun.objects.get(year=prev.year, month=prev.month)
    agencies = set(DeductionLine.objects.filter(run=run).values_list("agency_id", flat=True))
    imports = DeductionImport.objects.filter(run=run)
    assert {(i.agency_id, i.status) for i in imports} == {(a, "posted") for a in agencies}
    bank = account_for_role("bank")
    for imp in imports:
        lines = DeductionLine.objects.filter(run=run, agency=imp.agency).aggregate(
            realized=Sum("realized"),
            paid=Sum("paid_jasa") + Sum("paid_principal") + Sum("paid_wajib") + Sum("paid_others"),
            sukarela=Sum("to_sukarela"),
        )
        bank_in = imp.entry.lines.filter(account=bank).aggregate(d=Sum("debit"))["d"]
        assert imp.total_realized > 0
        assert bank_in == imp.total_realized == lines["realized"]
        assert lines["paid"] + lines["sukarela"] == imp.total_realized
        assert imp.entry.lines.aggregate(d=Sum("debit"))["d"] == imp.total_realized
    assert imports.aggregate(t=Sum("total_realized"))["t"] > D(0)
    assert_reconciled()
