"""Chart template seeding: idempotent, the capital-savings setting, the demo seeder."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core.common.errors import ApplicationError
from core.ledger.models import Account, AccountRole, JournalEntry, LedgerSettings
from core.ledger.seeding import chart_seed, coa_template_load, ledger_demo_seed
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post, ledger_settings_update


def test_seeding_is_idempotent_and_keeps_renames(in_tenant_a):
    Account.objects.filter(code="1101").update(name="Kas Kantor Pusat")
    before = (Account.objects.count(), AccountRole.objects.count())
    assert chart_seed() == 0
    assert (Account.objects.count(), AccountRole.objects.count()) == before
    assert Account.objects.get(code="1101").name == "Kas Kantor Pusat"
    assert LedgerSettings.get().coa_template == "kpri_coa_v1"


def test_template_is_consistent():
    doc = coa_template_load()
    codes = [a["code"] for a in doc["accounts"]]
    assert len(codes) == len(set(codes))
    by_code = {a["code"]: a for a in doc["accounts"]}
    for a in doc["accounts"]:
        if a.get("parent"):
            parent = by_code[a["parent"]]
            assert parent.get("is_group") and parent["type"] == a["type"], a["code"]
            assert codes.index(a["parent"]) < codes.index(a["code"])


def test_role_lookup_refuses_unmapped(in_tenant_a):
    with pytest.raises(ApplicationError) as exc:
        account_for_role("tidak_ada")
    assert exc.value.code == "account_role_unmapped"


def test_capital_savings_as_liability_switch(in_tenant_a, admin_user, bendahara):
    assert account_for_role("savings_wajib").code == "3102"
    ledger_settings_update(by=admin_user, capital_savings_as="liability")
    wajib = account_for_role("savings_wajib")
    assert (wajib.code, wajib.type) == ("2104", "liability")
    assert account_for_role("savings_pokok").type == "liability"
    assert not Account.objects.get(code="3102").is_active
    # once it has postings the choice is locked
    journal_post(
        on=timezone.localdate(),
        description="wajib",
        by=bendahara,
        lines=[
            LineSpec("1101", debit=Decimal("10")),
            LineSpec(wajib, credit=Decimal("10"), member_id=1),
        ],
        source="savings",  # a control account: only its module posts there
        source_ref="wajib-1",
    )
    with pytest.raises(ApplicationError) as exc:
        ledger_settings_update(by=admin_user, capital_savings_as="equity")
    assert exc.value.code == "ledger_settings_locked"
    with pytest.raises(ApplicationError) as exc:
        ledger_settings_update(by=bendahara, manual_entry_approval=True)
    assert exc.value.code == "permission_denied"


def test_demo_seed_is_idempotent(in_tenant_a, tenant_a):
    ledger_demo_seed(cooperative=tenant_a)
    ledger_demo_seed(cooperative=tenant_a)
    assert (
        JournalEntry.objects.filter(source="opening", source_ref__startswith="demo-opening").count()
        == 1
    )
    assert account_balance(account=account_for_role("opening_balance")) == Decimal("500000000")
