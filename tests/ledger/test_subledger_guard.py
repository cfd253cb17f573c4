"""Control accounts and module-owned entries (issue 22): manual entries never touch a
sub-ledger's control account; an entry a module posted is reversed only by that module."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from core.common.errors import ApplicationError
from core.ledger.models import Account, AccountRole, JournalEntry
from core.ledger.selectors import account_for_role
from core.ledger.services import (
    LineSpec,
    account_create,
    account_role_set,
    journal_post,
    journal_reverse,
    ledger_settings_update,
    manual_entry_submit,
)

D = Decimal
CONTROL_ROLES = [
    "loan_receivable",
    "ppap_allowance",
    "savings_pokok",
    "savings_wajib",
    "savings_sukarela",
    "savings_berjangka",
    "shu_members_payable",
]


def test_seeded_control_roles_are_control_accounts(in_tenant_a):
    for role in CONTROL_ROLES:
        assert account_for_role(role).is_control, role
    assert not account_for_role("cash").is_control
    assert not account_for_role("other_income").is_control


@pytest.mark.parametrize(
    "role", ["loan_receivable", "ppap_allowance", "savings_wajib", "shu_members_payable"]
)
def test_manual_entry_on_a_control_account_is_refused(in_tenant_a, bendahara, today, role):
    control = account_for_role(role)
    before = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as exc:
        journal_post(
            on=today,
            description="langsung",
            by=bendahara,
            lines=[LineSpec(control, debit=D("10")), LineSpec("3106", credit=D("10"))],
        )
    assert exc.value.code == "control_account" and control.code in exc.value.message
    assert JournalEntry.objects.count() == before


def test_manual_entry_on_shu_payable_names_the_shu_module(in_tenant_a, bendahara, today):
    """SHU bagian anggota belum dibayar is the posted shares' control account: a manual
    line on it (an SHU paid by hand, naming no member) is refused, saying where it is
    recorded instead."""
    payable = account_for_role("shu_members_payable")
    with pytest.raises(ApplicationError) as exc:
        journal_post(
            on=today,
            description="SHU dibayar tunai",
            by=bendahara,
            lines=[LineSpec(payable, debit=D("250000")), LineSpec("1101", credit=D("250000"))],
        )
    assert exc.value.code == "control_account"
    assert "simpanan/pinjaman/SHU" in str(exc.value.message)
    assert exc.value.fields == {"lines": {"1": ["Akun kontrol; pakai modulnya."]}}


def test_manual_entry_request_on_a_control_account_is_refused(in_tenant_a, bendahara, today):
    ledger_settings_update(by=_admin(), manual_entry_approval=True)
    with pytest.raises(ApplicationError) as exc:
        manual_entry_submit(
            on=today,
            description="langsung",
            by=bendahara,
            lines=[
                LineSpec(account_for_role("loan_receivable"), debit=D("10")),
                LineSpec("1101", credit=D("10")),
            ],
        )
    assert exc.value.code == "control_account"


def _admin():
    from tests.ledger.conftest import _user

    return _user("admin", "admin-guard@ledger.test")


def test_module_posting_on_a_control_account_is_allowed(in_tenant_a, today):
    entry = journal_post(
        on=today,
        description="Pencairan",
        by="tests",
        source="loan",
        source_ref="guard-1",
        lines=[
            LineSpec(account_for_role("loan_receivable"), debit=D("10")),
            LineSpec("1101", credit=D("10")),
        ],
    )
    assert entry.pk


def test_role_mapped_later_makes_the_account_control(in_tenant_a, bendahara):
    acc = account_create(code="1199", name="Piutang lain", type="asset", by=bendahara)
    assert not acc.is_control
    account_role_set(key="loan_receivable", account=acc, by=bendahara)
    acc.refresh_from_db()
    assert acc.is_control


@pytest.mark.parametrize("source", ["savings", "loan", "deduction", "shu", "member", "shop"])
def test_generic_reversal_refuses_module_entries(in_tenant_a, bendahara, today, source):
    entry = journal_post(
        on=today,
        description="modul",
        by="tests",
        source=source,
        source_ref=f"guard-{source}",
        lines=[LineSpec("1101", debit=D("10")), LineSpec("4301", credit=D("10"))],
    )
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=entry, on=today, reason="x", by=bendahara)
    assert exc.value.code == "module_entry_reversal" and exc.value.status_code == 409
    # the owning module passes its name and may reverse it
    rev = journal_reverse(entry=entry, on=today, reason="x", by=bendahara, module=source)
    assert rev.reverses_id == entry.pk


def test_generic_reversal_refuses_other_entries_touching_control_accounts(
    in_tenant_a, bendahara, today
):
    entry = journal_post(
        on=today,
        description="saldo awal pinjaman",
        by="tests",
        source="opening",
        source_ref="guard-open",
        lines=[
            LineSpec(account_for_role("loan_receivable"), debit=D("10")),
            LineSpec("3106", credit=D("10")),
        ],
    )
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=entry, on=today, reason="x", by=bendahara)
    assert exc.value.code == "module_entry_reversal"


def test_manual_entries_stay_reversible_through_the_ledger(in_tenant_a, bendahara, today):
    entry = journal_post(
        on=today,
        description="manual",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("10")), LineSpec("3106", credit=D("10"))],
    )
    assert journal_reverse(entry=entry, on=today, reason="x", by=bendahara).pk


# --- the database refuses the same --------------------------------------------------------


def _raw_entry(cur, on, source):
    cur.execute(
        "INSERT INTO ledger_journalentry (fiscal_year, number, date, description, source,"
        " source_ref, status) VALUES (%s, 99998, %s, 'raw', %s, '', 'posted') RETURNING id",
        [on.year, on, source],
    )
    return cur.fetchone()[0]


def _raw_lines(cur, eid, on, debit_acc, credit_acc):
    cur.execute(
        "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
        " VALUES (%s, %s, %s, 10, 0, ''), (%s, %s, %s, 0, 10, '')",
        [eid, debit_acc, on, eid, credit_acc, on],
    )


@pytest.mark.parametrize(
    "role, module, control_debited",
    [("savings_sukarela", "savings", False), ("shu_members_payable", "shu", True)],
)
def test_db_refuses_manual_lines_on_a_control_account(
    in_tenant_a, today, role, module, control_debited
):
    """A sukarela account credited, SHU payable debited (a payout): refused from a manual
    entry, passed from the module that owns the account."""
    control = account_for_role(role).pk
    cash = Account.objects.get(code="1101").pk
    debit, credit = (control, cash) if control_debited else (cash, control)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        _raw_lines(cur, _raw_entry(cur, today, "manual"), today, debit, credit)
    # the same lines from a module pass
    with transaction.atomic(), connection.cursor() as cur:
        _raw_lines(cur, _raw_entry(cur, today, module), today, debit, credit)


def test_db_refuses_clearing_the_control_flag(in_tenant_a):
    acc = account_for_role("loan_receivable")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE ledger_account SET is_control = false WHERE id = %s", [acc.pk])


def test_db_marks_accounts_mapped_to_control_roles(in_tenant_a):
    acc = Account.objects.get(code="2106")
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE ledger_accountrole SET account_id = %s WHERE key = 'ppap_allowance'",
            [acc.pk],
        )
    acc.refresh_from_db()
    assert acc.is_control and AccountRole.objects.get(key="ppap_allowance").account_id == acc.pk
