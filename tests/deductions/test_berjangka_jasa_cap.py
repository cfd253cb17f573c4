"""An interest-bearing berjangka (hari raya) account: its term caps what the member
DEPOSITS (monthly amount × term), not the jasa simpanan credited on top
(``savings.services.berjangka_deposited``, the counter's rule). The payroll list asked
less than the month's amount near the end of the term, and the batch sent the rest of
the agreed deposit to sukarela, because both capped on the balance, jasa included."""

from decimal import Decimal as D

from core.deductions import services as svc
from core.loans.schedules import add_months
from core.savings.models import SavingsAccount, SavingsProduct
from core.savings.services import (
    berjangka_deposited,
    savings_account_open,
    savings_interest_accrue,
    teller_deposit,
)

from .conftest import assert_reconciled, csv_bytes, make_run


def test_the_list_and_the_batch_cap_the_deposits_not_the_jasa(coop, cutoffs):
    prev, this = cutoffs
    by = coop["by"]
    m3 = coop["m"][2]
    product = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    product.interest_enabled = True
    product.interest_rate_annual = D("6")
    product.interest_basis = "average"
    product.save()
    opened = add_months(prev, -1).replace(day=1)
    acc = savings_account_open(member=m3, product=product, on=opened, monthly_amount=D("100000"))
    target = D("100000") * product.term_months
    # all but the last month's deposit, on the first day: the month's jasa is 0.5 % of it
    teller_deposit(account=acc, amount=target - D("100000"), channel="cash", on=opened, by=by)
    savings_interest_accrue(product=product, year=opened.year, month=opened.month, by=by)
    acc.refresh_from_db()
    jasa = acc.balance - (target - D("100000"))
    assert jasa > 0 and berjangka_deposited(acc) == target - D("100000")
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m3)
    assert line.others == D("100000")  # the last agreed deposit (failed before: less the jasa)
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m3.nip, int(line.total))]),
        file_name="a.csv",
        by=by,
    )
    assert imp.status == "valid", imp.errors
    svc.deduction_import_post(imp=imp, by=by)
    acc.refresh_from_db()
    line.refresh_from_db()
    assert berjangka_deposited(acc) == target and acc.balance == target + jasa
    assert line.paid_others == D("100000") and line.to_sukarela == 0
    assert not SavingsAccount.objects.filter(
        member=m3, product__kind="sukarela", balance__gt=0
    ).exists()
    assert_reconciled()


def test_the_deposits_of_every_account_at_its_cap_are_read_in_one_query(coop, cutoffs):
    """Three members' interest-bearing hari raya accounts reach their last month
    together: the list and the batch read what each deposited in one query for all of
    them (``berjangka_deposited_bulk``), not two per account; so does the savings
    batch's deposit rule."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    prev, this = cutoffs
    by = coop["by"]
    members = coop["m"][:3]
    product = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    product.interest_enabled = True
    product.interest_rate_annual = D("6")
    product.interest_basis = "average"
    product.save()
    opened = add_months(prev, -1).replace(day=1)
    target = D("100000") * product.term_months
    accounts = []
    for m in members:
        acc = savings_account_open(member=m, product=product, on=opened, monthly_amount=D("100000"))
        teller_deposit(account=acc, amount=target - D("100000"), channel="cash", on=opened, by=by)
        accounts.append(acc)
    savings_interest_accrue(product=product, year=opened.year, month=opened.month, by=by)

    def deposited_reads(ctx):
        return [
            q["sql"]
            for q in ctx.captured_queries
            if '"savings_savingstransaction"' in q["sql"] and '"balance_after" <=' in q["sql"]
        ]

    with CaptureQueriesContext(connection) as ctx:
        run = make_run(on=this, by=by)
    assert len(deposited_reads(ctx)) == 1, deposited_reads(ctx)
    lines = {ln.member_id: ln for ln in run.lines.filter(member__in=members)}
    assert all(lines[m.pk].others == D("100000") for m in members)
    # a deposit at the counter since the list: each account now takes only the rest
    for acc in accounts:
        teller_deposit(account=acc, amount=D("40000"), channel="cash", on=this, by=by)
    rows = [(m.nip, int(lines[m.pk].total)) for m in members]
    with CaptureQueriesContext(connection) as ctx:
        imp = svc.deduction_import_upload(
            run=run,
            agency=coop["agencies"][0],
            content=csv_bytes(rows),
            file_name="a.csv",
            by=by,
        )
    assert imp.status == "valid", imp.errors
    assert len(deposited_reads(ctx)) <= 1, deposited_reads(ctx)
    with CaptureQueriesContext(connection) as ctx:
        svc.deduction_import_post(imp=imp, by=by)
    # the plan's redirect of what the accounts no longer take, and the savings deposit
    # rule checked by the savings batch: one read each, for all three accounts
    assert len(deposited_reads(ctx)) == 2, deposited_reads(ctx)
    for m, acc in zip(members, accounts, strict=True):
        acc.refresh_from_db()
        lines[m.pk].refresh_from_db()
        assert berjangka_deposited(acc) == target
        assert lines[m.pk].paid_others == D("60000") and lines[m.pk].to_sukarela == D("40000")
    assert_reconciled()
