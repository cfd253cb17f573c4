# ruff: noqa: F811
"""A member marked as left outside the exit flow (their accounts left open) whose agency's
payroll file — uploaded while they were still active — is posted at the moment their
left-open settlement is confirmed: separate connections, real commits (``scratch_tenant``).

The result must be consistent either way round: the batch's row of that member is
refused (``deduction_member_inactive``, nothing of the batch written) and the settlement
pays out exactly what the accounts held; or, had the batch's money landed first, the
settlement would have seen it. Never the payroll money credited to an account of theirs
the settlement did not count (a fresh wajib/sukarela opened after it closed theirs), nor
an account closed with a balance. Once the row is excluded the batch posts the others,
nothing of it on the member who left.

What guards it: the batch refuses a row of a member who is not active (the re-check
before the posting and ``inactive_member_rows`` under the members' FOR SHARE lock, which
the settlement's FOR UPDATE of the member orders). Taking that check out of the posting
makes the first test fail: the batch waits for the settlement's lock, then opens a new
wajib account for the member and credits the payroll money there, after the settlement."""

import threading
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionLine
from core.exits.services import exit_settlement_left_open_confirm, exit_settlement_preview
from core.savings.models import ExitSettlement, SavingsAccount, SavingsTransaction
from core.savings.seeding import product_by_kind
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.concurrency import in_thread, join_all, two_clerks
from tests.deductions.conftest import (  # noqa: F401
    _media,
    assert_reconciled,
    coop_build,
    csv_bytes,
    cutoff_day,
    cutoffs,
    make_run,
)
from tests.members import factories as f

D = Decimal


def _setup(cutoff_day, cutoffs):
    """Agency A's three members in this month's list and in a valid file (each cut what
    the list asks); the third holds pokok 100,000 and sukarela 400,000 and is then
    marked as left outside the exit (their accounts still open)."""
    coop = coop_build(cutoff_day, cutoffs)
    by = coop["by"]
    today = timezone.localdate()
    leaver = coop["m"][2]
    for kind, amount in (("pokok", "100000"), ("sukarela", "400000")):
        acc = savings_account_get_or_open(member=leaver, product=product_by_kind(kind), on=today)
        teller_deposit(account=acc, amount=D(amount), channel="cash", on=today, by=by)
    run = make_run(on=cutoffs[1], by=by)
    ag = coop["agencies"][0]
    rows = [(ln.nip, int(ln.total)) for ln in run.lines.filter(agency=ag).order_by("pk")]
    assert all(amount > 0 for _nip, amount in rows)
    imp = svc.deduction_import_upload(
        run=run, agency=ag, content=csv_bytes(rows), file_name="a.csv", by=by
    )
    assert imp.status == DeductionImport.Status.VALID, imp.errors
    left = f.left_outside_exit(leaver, status="retired", on=today)
    return coop, imp, left, today


def _settle(left, by, today, expected):
    def fn():
        exit_settlement_left_open_confirm(
            member=left, on=today, by=by, channel="cash", expected_net=expected
        )

    return fn


def _post(imp, by):
    def fn():
        svc.deduction_import_post(imp=imp, by=by)

    return fn


def _row_of(imp, member) -> int:
    """The file's row of ``member``."""
    line = DeductionLine.objects.get(run_id=imp.run_id, member=member)
    return next(r["row"] for r in imp.rows if r["line_id"] == line.pk)


def _consistent(left, imp, paid: Decimal) -> None:
    """The member who left: every account closed and empty, nothing of the batch on
    them, the settlement paying what the accounts held; the batch not posted, their row
    marked; the books balanced."""
    accounts = SavingsAccount.objects.filter(member=left)
    assert set(accounts.values_list("status", "balance")) == {("closed", D(0))}, list(
        accounts.values("number", "status", "balance")
    )
    assert accounts.count() == 2  # none opened after the settlement
    assert not SavingsTransaction.objects.filter(
        account__member=left, journal_entry__source="deduction"
    ).exists()
    s = ExitSettlement.objects.get(member=left)
    assert (s.left_open, s.savings_total, s.net_payable) == (True, paid, paid)
    imp.refresh_from_db()
    assert imp.status == DeductionImport.Status.INVALID and imp.entry_id is None
    assert [e["row"] for e in imp.errors] == [_row_of(imp, left)], imp.errors
    assert_reconciled()


def test_settlement_first_then_the_batch_refuses_the_member_who_left(
    scratch_tenant, cutoff_day, cutoffs
):
    """The settlement holds its transaction open (uncommitted) while the batch is
    posted: the batch refuses the row of the member who left, writes nothing; the
    settlement pays out the 500,000 the accounts held."""
    connection.set_tenant(scratch_tenant)
    coop, imp, left, today = _setup(cutoff_day, cutoffs)
    by = coop["staff"]["bendahara"]
    expected = exit_settlement_preview(member=left, on=today).net_payable
    assert expected == D("500000")
    results = two_clerks(
        scratch_tenant, _settle(left, by, today, expected), _post(imp, coop["staff"]["admin"])
    )
    assert results == {"1": "ok", "2": "deduction_member_inactive"}, results
    _consistent(left, imp, D("500000"))


def test_batch_first_is_refused_and_the_settlement_pays_what_was_there(
    scratch_tenant, cutoff_day, cutoffs
):
    """The batch tried first (and again at the same moment as the settlement): refused
    for that row, nothing written; the settlement goes through on the balances it
    showed."""
    connection.set_tenant(scratch_tenant)
    coop, imp, left, today = _setup(cutoff_day, cutoffs)
    by = coop["staff"]["bendahara"]
    expected = exit_settlement_preview(member=left, on=today).net_payable
    results = two_clerks(
        scratch_tenant, _post(imp, coop["staff"]["admin"]), _settle(left, by, today, expected)
    )
    assert results == {"1": "deduction_member_inactive", "2": "ok"}, results
    # (the harness held clerk 1 in one transaction, so its marking of the row rolled back
    # with the refusal; posted again on its own, it is refused and marked)
    imp.refresh_from_db()
    assert imp.status == DeductionImport.Status.VALID and imp.entry_id is None
    try:
        _post(imp, coop["staff"]["admin"])()
    except ApplicationError as e:
        assert e.code == "deduction_member_inactive"
    else:
        raise AssertionError("the batch posted a row of a member who left")
    _consistent(left, imp, D("500000"))


def test_at_the_same_moment_then_the_others_posted_without_the_member_who_left(
    scratch_tenant, cutoff_day, cutoffs
):
    """Both at once (a barrier): the same consistent end. Then the row excluded (taken
    as not deducted), the batch posts the two other members; the member who left gets
    nothing of it and no account is opened for them."""
    connection.set_tenant(scratch_tenant)
    coop, imp, left, today = _setup(cutoff_day, cutoffs)
    by = coop["staff"]["bendahara"]
    expected = exit_settlement_preview(member=left, on=today).net_payable
    barrier = threading.Barrier(2)
    outcome: dict = {}

    def at_once(fn):
        def run():
            barrier.wait(timeout=10)
            try:
                fn()
            except Exception as e:  # the refusal's code, or a server error, to the assert
                return getattr(e, "code", repr(e))
            return "ok"

        return run

    join_all(
        [
            in_thread(
                scratch_tenant, "settle", at_once(_settle(left, by, today, expected)), outcome
            ),
            in_thread(scratch_tenant, "post", at_once(_post(imp, coop["staff"]["admin"])), outcome),
        ]
    )
    assert outcome == {"settle": "ok", "post": "deduction_member_inactive"}, outcome
    _consistent(left, imp, D("500000"))
    svc.deduction_import_exclude(imp=imp, rows=[_row_of(imp, left)], by=by)
    imp.refresh_from_db()
    posted = svc.deduction_import_post(imp=imp, by=by)
    assert posted.status == DeductionImport.Status.POSTED
    accounts = SavingsAccount.objects.filter(member=left)
    assert accounts.count() == 2 and set(accounts.values_list("status", "balance")) == {
        ("closed", D(0))
    }
    assert (
        SavingsTransaction.objects.filter(journal_entry=posted.entry)
        .exclude(account__member=left)
        .exists()
    )
    assert not SavingsTransaction.objects.filter(
        journal_entry=posted.entry, account__member=left
    ).exists()
    assert_reconciled()
