"""A batch is reversed on its own date (journal entry, savings taken back, repayments), so
the ledger and the member's card read as if it never was. Money it credited to sukarela,
withdrawn at the counter and deposited again later, leaves today's balance whole — the
old check, today's balance only, let the reversal through — but taking the credit back
on the batch's date puts the card below zero between the withdrawal and the deposit
(and the jasa of those days is wrong). Refused, naming the member, account, the day it
goes below zero, the withdrawal and the rupiah; nothing changes. Money deposited before
it was withdrawn leaves the card at or above zero: the reversal goes through, dated on
the batch's date."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalEntry
from core.loans.models import Repayment
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.selectors import running_balances
from core.savings.services import teller_deposit, teller_withdraw

from .conftest import assert_reconciled, csv_bytes, login, make_run


def _state():
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
        sorted(SavingsAccount.objects.values_list("pk", "balance", "status")),
        sorted(DeductionLine.objects.values_list("pk", "realized", "posted_import_id")),
    )


@pytest.fixture
def posted(coop, cutoffs):
    """Last month's batch of agency A dated the 1st of that month: m3 cut 50,000 more
    than asked (the excess to a sukarela account opened by the batch)."""
    by, m3 = coop["by"], coop["m"][2]
    run = make_run(on=cutoffs[0], by=by)
    line = run.lines.get(member=m3)
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m3.nip, int(line.total) + 50000)]),
        file_name="a.csv",
        by=by,
    )
    imp = svc.deduction_import_post(imp=imp, by=by, on=run.month_start)
    acc = SavingsAccount.objects.get(member=m3, product__kind="sukarela", status="open")
    assert acc.balance == D("50000")
    return {"imp": imp, "on": run.month_start, "acc": acc}


def _counter(coop, acc, *, withdraw_on, deposit_on):
    teller_withdraw(account=acc, amount=D("50000"), channel="cash", on=withdraw_on, by=coop["by"])
    teller_deposit(account=acc, amount=D("50000"), channel="cash", on=deposit_on, by=coop["by"])
    acc.refresh_from_db()
    assert acc.balance == D("50000")  # today's balance covers the batch's credit


def test_reversal_dipping_the_card_below_zero_in_between_is_refused(coop, posted):
    """Withdrawn on the 10th, deposited again on the 20th: reversed on the 1st, the
    card is minus 50,000 from the 10th to the 20th."""
    acc, on, m3 = posted["acc"], posted["on"], coop["m"][2]
    out_on, in_on = on + timedelta(days=9), on + timedelta(days=19)
    _counter(coop, acc, withdraw_on=out_on, deposit_on=in_on)
    receipt = SavingsTransaction.objects.get(account=acc, kind="withdrawal").receipt_number
    before = _state()
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_import_reverse(imp=posted["imp"], reason="file salah", by=coop["by"])
    err = exc.value
    assert err.code == "deduction_reversal_balance_negative" and err.status_code == 409
    msg = str(err.message)
    assert m3.full_name in msg and m3.number in msg and acc.number in msg, msg
    assert format_tanggal(out_on) in msg and receipt in msg, msg
    assert format_rupiah(D("50000")) in msg and format_tanggal(on) in msg, msg
    assert len(err.fields["members"]) == 1
    assert _state() == before
    assert DeductionImport.objects.get(pk=posted["imp"].pk).status == "posted"


def test_screen_and_api_show_the_refusal(coop, posted):
    acc, on = posted["acc"], posted["on"]
    _counter(coop, acc, withdraw_on=on + timedelta(days=9), deposit_on=on + timedelta(days=19))
    imp, before = posted["imp"], _state()
    c = login(coop["by"])
    r = c.post(
        f"/api/v1/deductions/imports/{imp.pk}/reverse/",
        {"reason": "file salah"},
        content_type="application/json",
    )
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == "deduction_reversal_balance_negative"
    assert acc.number in err["message"] and len(err["fields"]["members"]) == 1
    r = c.post(
        f"/potong-gaji/impor/{imp.pk}/",
        {"action": "reverse", "reason": "file salah", "confirmed": "1"},
        follow=True,
    )
    page = r.content.decode()
    assert acc.number in page and "di bawah nol" in page, page[:3000]
    c.cookies["django_language"] = "en"
    r = c.post(
        f"/potong-gaji/impor/{imp.pk}/",
        {"action": "reverse", "reason": "file salah", "confirmed": "1"},
        follow=True,
    )
    page = r.content.decode()
    assert acc.number in page and "below zero" in page, page[:3000]
    assert _state() == before


def test_reversal_keeping_the_card_at_or_above_zero_is_dated_on_the_batch(coop, posted):
    """Deposited on the 10th, withdrawn on the 20th: the card never goes below zero with
    the credit taken back on the 1st. The reversal goes through on the batch's date."""
    acc, on, imp = posted["acc"], posted["on"], posted["imp"]
    teller_deposit(
        account=acc, amount=D("50000"), channel="cash", on=on + timedelta(9), by=coop["by"]
    )
    teller_withdraw(
        account=acc, amount=D("50000"), channel="cash", on=on + timedelta(19), by=coop["by"]
    )
    imp = svc.deduction_import_reverse(imp=imp, reason="file salah", by=coop["by"])
    assert imp.status == "reversed" and imp.reversal_entry.date == on
    back = SavingsTransaction.objects.get(account=acc, kind="transfer_out")
    assert back.on == on
    rows = list(acc.transactions.order_by("on", "id"))
    running_balances(rows, D("0"))
    assert min(r.running_balance for r in rows) == 0
    acc.refresh_from_db()
    assert acc.balance == 0
    assert_reconciled()
