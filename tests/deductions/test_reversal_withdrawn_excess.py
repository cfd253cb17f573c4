"""Reversing a posted batch whose sukarela excess a member has since withdrawn (the money
is gone from the account the batch credited): the reversal is refused — taking it back
would leave the account below zero — with a message that names every such member, the
account, and the rupiah short, on the screen and in the API; nothing changes."""

from decimal import Decimal as D

from django.utils import timezone

from core.common.dates import format_bulan
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalEntry
from core.loans.models import Loan, Repayment
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import teller_withdraw

from .conftest import assert_reconciled, csv_bytes, login, make_run


def _state():
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
        sorted(SavingsAccount.objects.values_list("pk", "balance", "status")),
        sorted(Loan.objects.values_list("pk", "principal_outstanding", "status")),
        sorted(
            DeductionLine.objects.values_list("pk", "realized", "to_sukarela", "posted_import_id")
        ),
    )


def _posted_with_excess(coop, cutoffs, extra: dict[int, int]):
    """Agency A's batch posted with ``extra`` rupiah cut above what was asked for the
    members at those indexes (credited to their sukarela)."""
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    lines = {ln.member_id: ln for ln in DeductionLine.objects.filter(run=run)}
    m = coop["m"]
    rows = [(m[i].nip, int(lines[m[i].pk].total) + extra.get(i, 0)) for i in range(3)]
    imp = svc.deduction_import_upload(
        run=run, agency=coop["agencies"][0], content=csv_bytes(rows), file_name="a.csv", by=by
    )
    return svc.deduction_import_post(imp=imp, by=by)


def _withdraw(coop, member, amount):
    acc = SavingsAccount.objects.get(member=member, product__kind="sukarela", status="open")
    teller_withdraw(
        account=acc, amount=D(amount), channel="cash", on=timezone.localdate(), by=coop["by"]
    )
    acc.refresh_from_db()
    return acc


def test_reversal_after_the_excess_was_withdrawn_names_members_and_the_shortfall(coop, cutoffs):
    m1, m2, m3 = coop["m"][:3]
    imp = _posted_with_excess(coop, cutoffs, {0: 40000, 2: 25000})
    acc1 = _withdraw(coop, m1, 30000)  # 10,000 left of 40,000: short 30,000
    acc3 = _withdraw(coop, m3, 25000)  # nothing left: short 25,000
    before = _state()
    try:
        svc.deduction_import_reverse(imp=imp, reason="file salah", by=coop["by"])
    except ApplicationError as e:
        err = e
    else:
        raise AssertionError("reversal taken though the excess was withdrawn")
    assert err.code == "deduction_reversal_savings_short"
    msg = str(err.message)
    for member, acc, short in ((m1, acc1, 30000), (m3, acc3, 25000)):
        assert member.full_name in msg and member.number in msg, msg
        assert acc.number in msg, msg
        assert format_rupiah(D(short)) in msg, msg
    assert m2.full_name not in msg  # nothing of m2's was withdrawn
    assert sorted(err.fields) == ["members"]
    assert len(err.fields["members"]) == 2
    assert _state() == before
    imp.refresh_from_db()
    assert imp.status == DeductionImport.Status.POSTED
    assert_reconciled()


def test_screen_and_api_show_the_members_short_and_change_nothing(coop, cutoffs):
    m1 = coop["m"][0]
    imp = _posted_with_excess(coop, cutoffs, {0: 40000})
    acc = _withdraw(coop, m1, 40000)
    before = _state()
    c = login(coop["by"])
    r = c.post(
        f"/api/v1/deductions/imports/{imp.pk}/reverse/",
        {"reason": "file salah"},
        content_type="application/json",
    )
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == "deduction_reversal_savings_short"
    assert m1.full_name in err["message"] and acc.number in err["message"]
    assert format_rupiah(D(40000)) in err["message"]
    assert len(err["fields"]["members"]) == 1
    r = c.post(
        f"/potong-gaji/impor/{imp.pk}/",
        {"action": "reverse", "reason": "file salah", "confirmed": "1"},
        follow=True,
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert m1.full_name in page and format_rupiah(D(40000)) in page, page[:3000]
    assert _state() == before
    assert_reconciled()


def test_reversal_after_the_member_left_names_the_member(coop, cutoffs):
    """The member left after the batch (exit settled: the savings, the excess with them,
    paid out and the accounts closed): the reversal is refused naming the member and
    each closed account with what it should give back."""
    from core.exits.services import exit_settlement_confirm, exit_settlement_preview

    m3 = coop["m"][2]
    imp = _posted_with_excess(coop, cutoffs, {2: 25000})
    today = timezone.localdate()
    p = exit_settlement_preview(member=m3, on=today)
    exit_settlement_confirm(
        member=m3, reason="resigned", on=today, by=coop["by"], expected_net=p.net_payable
    )
    before = _state()
    try:
        svc.deduction_import_reverse(imp=imp, reason="file salah", by=coop["by"])
    except ApplicationError as e:
        err = e
    else:
        raise AssertionError("reversal taken though the member left")
    assert err.code == "deduction_reversal_savings_short"
    msg = str(err.message)
    suk = SavingsAccount.objects.get(member=m3, product__kind="sukarela")
    assert m3.full_name in msg and suk.number in msg and format_rupiah(D(25000)) in msg, msg
    assert "ditutup" in msg
    assert _state() == before


# --- a batch dated in a month whose jasa simpanan has been run ----------------------------


def test_reversal_of_a_batch_in_a_month_whose_savings_interest_was_run_is_refused(coop, cutoffs):
    """Last month's batch credited m3's sukarela (its excess) on the 1st of that month;
    the month's jasa simpanan was then paid on balances holding that money. Taking the
    credit back dated in that month would leave the jasa paid on money that was never
    there (the counter's own reversal refuses the same): refused naming the product and
    the month, nothing changed."""
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_interest_accrue

    by = coop["by"]
    prev, _this = cutoffs
    run = make_run(on=prev, by=by)
    m3 = coop["m"][2]
    line = DeductionLine.objects.get(run=run, member=m3)
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m3.nip, int(line.total) + 500000)]),
        file_name="a.csv",
        by=by,
    )
    imp = svc.deduction_import_post(imp=imp, by=by, on=run.month_start)
    sukarela = SavingsProduct.objects.get(kind="sukarela")
    SavingsProduct.objects.filter(pk=sukarela.pk).update(
        interest_enabled=True, interest_rate_annual=D("6")
    )
    sukarela.refresh_from_db()
    on = run.month_start
    savings_interest_accrue(product=sukarela, year=on.year, month=on.month, by=by)
    before = _state()
    try:
        svc.deduction_import_reverse(imp=imp, reason="file salah", by=by)
    except ApplicationError as e:
        err = e
    else:
        raise AssertionError("reversal taken though the month's jasa was paid on it")
    assert err.code == "deduction_reversal_interest_run"
    msg = str(err.message)
    assert sukarela.name in msg and format_bulan(on) in msg, msg
    assert _state() == before
    imp.refresh_from_db()
    assert imp.status == DeductionImport.Status.POSTED
