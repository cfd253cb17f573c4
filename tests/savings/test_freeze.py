"""A frozen (diblokir) savings account: the bendahara freezes it with a reason;
withdrawals, payouts (early ones too), exit settlement and closing are refused while it
is frozen, with a message naming the freeze; deposits and payroll credits still land;
unfrozen by the bendahara; both audited."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.services import journal_entry_id_reserve
from core.savings.batch import Deposit, savings_deposits_apply_bulk
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import (
    savings_account_freeze,
    savings_account_open,
    savings_account_unfreeze,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.ledger.helpers import post_bank_batch
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def sukarela(products, member_a, teller, today):
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=today)
    teller_deposit(account=acc, amount=D("500000"), channel="cash", on=today, by=teller)
    acc.refresh_from_db()
    return acc


def _counts():
    return SavingsTransaction.objects.count(), JournalEntry.objects.count()


def test_frozen_account_refuses_withdrawals_naming_the_freeze(sukarela, bendahara, teller, today):
    savings_account_freeze(account=sukarela, reason="sita pengadilan", by=bendahara)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=sukarela, amount=D("1000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_account_frozen"
    assert "diblokir" in e.value.message and "sita pengadilan" in e.value.message
    assert _counts() == before
    sukarela.refresh_from_db()
    assert sukarela.balance == D("500000")
    ev = AuditEvent.objects.get(action="savings.account_freeze", target_id=str(sukarela.pk))
    assert ev.reason == "sita pengadilan"


def test_frozen_account_still_takes_deposits_and_payroll(sukarela, bendahara, teller, today):
    from django.db import transaction

    savings_account_freeze(account=sukarela, reason="jaminan", by=bendahara)
    teller_deposit(account=sukarela, amount=D("10000"), channel="cash", on=today, by=teller)
    # the payroll batch's credit (``core.deductions.services.posting``): written linked
    # to the batch's entry, posted after it
    with transaction.atomic():
        entry_id = journal_entry_id_reserve()
        (applied,) = savings_deposits_apply_bulk(
            deposits=[
                Deposit(account=sukarela, amount=D("20000"), kind="payroll", channel="payroll")
            ],
            on=today,
            by=teller,
            entry_id=entry_id,
        )
        post_bank_batch(
            lines=applied.lines, on=today, by=teller, ref="uji-blokir", entry_id=entry_id
        )
    assert applied.transaction.balance_after == D("530000")
    assert_reconciled()


def test_unfreeze_allows_withdrawals_again(sukarela, bendahara, teller, today):
    savings_account_freeze(account=sukarela, reason="jaminan", by=bendahara)
    savings_account_unfreeze(account=sukarela, reason="lunas", by=bendahara)
    teller_withdraw(account=sukarela, amount=D("1000"), channel="cash", on=today, by=teller)
    sukarela.refresh_from_db()
    assert sukarela.frozen_at is None and sukarela.balance == D("499000")
    assert AuditEvent.objects.filter(
        action="savings.account_unfreeze", target_id=str(sukarela.pk)
    ).exists()
    assert_reconciled()


def test_only_treasury_freezes_and_a_reason_is_required(sukarela, bendahara, teller):
    with pytest.raises(ApplicationError) as e:
        savings_account_freeze(account=sukarela, reason="x", by=teller)
    assert e.value.status_code == 403
    with pytest.raises(ApplicationError) as e:
        savings_account_freeze(account=sukarela, reason="  ", by=bendahara)
    assert "reason" in e.value.fields
    sukarela.refresh_from_db()
    assert sukarela.frozen_at is None


def test_freezing_twice_and_unfreezing_an_unfrozen_account_refused(sukarela, bendahara):
    with pytest.raises(ApplicationError):
        savings_account_unfreeze(account=sukarela, reason="", by=bendahara)
    savings_account_freeze(account=sukarela, reason="jaminan", by=bendahara)
    with pytest.raises(ApplicationError) as e:
        savings_account_freeze(account=sukarela, reason="lagi", by=bendahara)
    assert e.value.code == "savings_account_frozen"


def test_early_withdrawal_refused_while_frozen(products, member_a, bendahara, teller, today):
    from datetime import timedelta

    from core.savings.services import savings_early_withdraw

    p = products["berjangka"]
    p.payout_date = today + timedelta(days=100)
    p.save()
    acc = savings_account_open(member=member_a, product=p, on=today)
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    savings_account_freeze(account=acc, reason="jaminan", by=bendahara)
    with pytest.raises(ApplicationError) as e:
        savings_early_withdraw(account=acc, on=today, channel="cash", reason="x", by=bendahara)
    assert e.value.code == "savings_account_frozen"


def test_closing_by_cancellation_refused_while_frozen(products, member_a, bendahara, teller, today):
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=today)
    txn = teller_deposit(account=acc, amount=D("30000"), channel="cash", on=today, by=teller)
    savings_account_freeze(account=acc, reason="jaminan", by=bendahara)
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=txn, on=today, reason="salah", by=bendahara, close_account=True)
    assert e.value.code == "savings_account_frozen"
    acc.refresh_from_db()
    assert acc.status == "open" and acc.balance == D("30000")


def test_exit_settlement_refused_while_an_account_is_frozen(sukarela, bendahara, today):
    from core.exits.services import exit_settlement_confirm

    savings_account_freeze(account=sukarela, reason="sita pengadilan", by=bendahara)
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(
            member=sukarela.member, reason="resigned", on=today, by=bendahara, channel="cash"
        )
    assert e.value.code == "savings_account_frozen"
    sukarela.refresh_from_db()
    assert sukarela.status == "open" and sukarela.member.is_active


@pytest.fixture
def client_for(tenant_a):
    from tenants.services import tenant_host

    def make(user) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(user)
        return c

    return make


def test_screen_freezes_and_unfreezes(sukarela, bendahara, teller, client_for):
    c = client_for(bendahara)
    url = reverse("savings:account_freeze", args=[sukarela.pk])
    page = c.get(reverse("savings:account", args=[sukarela.pk])).content.decode()
    assert url in page
    c.post(url, {"action": "freeze", "reason": "sita pengadilan"})
    page = c.get(reverse("savings:account", args=[sukarela.pk])).content.decode()
    assert "Diblokir" in page and "sita pengadilan" in page
    assert client_for(teller).post(url, {"action": "unfreeze"}).status_code == 403
    c.post(url, {"action": "unfreeze", "reason": "selesai"})
    sukarela.refresh_from_db()
    assert sukarela.frozen_at is None


def test_api_freeze_and_unfreeze(sukarela, bendahara, client_for):
    c = client_for(bendahara)
    base = f"/api/v1/savings/accounts/{sukarela.pk}"
    r = c.post(f"{base}/freeze/", {"reason": ""}, content_type="application/json")
    assert r.status_code == 400
    r = c.post(f"{base}/freeze/", {"reason": "jaminan"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["frozen"] is True
    assert r.json()["frozen_reason"] == "jaminan"
    r = c.post(f"{base}/unfreeze/", {"reason": "selesai"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["frozen"] is False
    assert SavingsAccount.objects.get(pk=sukarela.pk).frozen_at is None


def test_account_list_marks_a_frozen_account(sukarela, bendahara, client_for):
    savings_account_freeze(account=sukarela, reason="jaminan", by=bendahara)
    page = client_for(bendahara).get(reverse("savings:accounts")).content.decode()
    assert "Diblokir" in page
