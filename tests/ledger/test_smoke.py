from decimal import Decimal

from core.ledger.models import AccountRole, JournalEntry
from core.ledger.selectors import account_balance, account_for_role, balances_check
from core.ledger.services import LineSpec, journal_post

REQUIRED_ROLES = [
    "cash",
    "bank",
    "loan_receivable",
    "loan_interest_receivable",
    "ppap_allowance",
    "ppap_expense",
    "loan_interest_income",
    "admin_fee_income",
    "provisi_income",
    "penalty_income",
    "insurance_payable",
    "risk_fund",
    "savings_pokok",
    "savings_wajib",
    "savings_sukarela",
    "savings_berjangka",
    "savings_interest_expense",
    "tax_payable",
    "shu_current_year",
    "shu_members_payable",
    "reserve",
    "opening_balance",
    "fund_pengurus",
    "fund_karyawan",
    "fund_pendidikan",
    "fund_sosial",
    "fund_pembangunan",
    "other_income",
    "other_expense",
]


def test_template_seeds_every_role(in_tenant_a):
    keys = set(AccountRole.objects.values_list("key", flat=True))
    assert set(REQUIRED_ROLES) <= keys
    assert account_for_role("savings_pokok").type == "equity"
    assert account_for_role("savings_sukarela").type == "liability"
    assert account_for_role("ppap_allowance").is_contra


def test_post_simple_entry_updates_balances(in_tenant_a, bendahara, today):
    cash = account_for_role("cash")
    e = journal_post(
        on=today,
        description="Setoran modal",
        by=bendahara,
        lines=[LineSpec(cash, debit=Decimal("1000")), LineSpec("3106", credit=Decimal("1000"))],
    )
    assert e.number >= 1 and e.lines.count() == 2
    assert e.created_at is not None
    assert account_balance(account=cash) == Decimal("1000")
    assert account_balance(account=account_for_role("opening_balance")) == Decimal("1000")
    assert balances_check() == []
    assert JournalEntry.objects.filter(pk=e.pk).exists()
