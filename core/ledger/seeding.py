"""Chart-of-accounts template seeding (a TENANT_SEEDER) and demo data (a DEMO_SEEDER).

The chart is data: ``core/ledger/data/<template>.json``. Seeding is idempotent: accounts
are matched by code (a renamed account keeps its name), roles are created only when missing.
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from .models import Account, AccountRole, JournalEntry, LedgerSettings
from .selectors import account_for_role

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_TEMPLATE = "kpri_coa_v1"

NORMAL_SIDE = {
    Account.Type.ASSET: Account.Side.DEBIT,
    Account.Type.EXPENSE: Account.Side.DEBIT,
    Account.Type.LIABILITY: Account.Side.CREDIT,
    Account.Type.EQUITY: Account.Side.CREDIT,
    Account.Type.INCOME: Account.Side.CREDIT,
}


def coa_template_load(name: str = DEFAULT_TEMPLATE) -> dict:
    with open(DATA_DIR / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def normal_side_for(type_: str, *, is_contra: bool) -> str:
    side = NORMAL_SIDE[type_]
    if is_contra:
        side = Account.Side.CREDIT if side == Account.Side.DEBIT else Account.Side.DEBIT
    return side


@transaction.atomic
def chart_seed(*, template: str = DEFAULT_TEMPLATE, capital_savings_as: str | None = None) -> int:
    """Create the template's accounts and role mappings that are missing. Returns the
    number of accounts created."""
    settings_row = LedgerSettings.get()
    if capital_savings_as:
        settings_row.capital_savings_as = capital_savings_as
    capital_as = settings_row.capital_savings_as
    doc = coa_template_load(template)
    existing = {a.code: a for a in Account.objects.all()}
    created = 0
    for spec in doc["accounts"]:
        variant = spec.get("only_if_capital_savings_as")
        if variant and variant != capital_as:
            continue
        if spec["code"] in existing:
            continue
        is_contra = bool(spec.get("is_contra", False))
        acc = Account.objects.create(
            code=spec["code"],
            name=spec["name"],
            type=spec["type"],
            normal_side=spec.get("normal_side")
            or normal_side_for(spec["type"], is_contra=is_contra),
            parent=existing.get(spec.get("parent") or ""),
            is_group=bool(spec.get("is_group", False)),
            is_contra=is_contra,
            is_cash=bool(spec.get("is_cash", False)),
            cash_flow=spec.get("cash_flow", Account.CashFlow.OPERATING),
        )
        existing[acc.code] = acc
        created += 1
    mapped = set(AccountRole.objects.values_list("key", flat=True))
    for spec in doc["accounts"]:
        variant = spec.get("only_if_capital_savings_as")
        if variant and variant != capital_as:
            continue
        key = spec.get("role")
        if key and key not in mapped:
            AccountRole.objects.create(key=key, account=existing[spec["code"]])
            mapped.add(key)
    settings_row.coa_template = f"{doc['template']}_v{doc['version']}"
    settings_row.save()
    return created


def ledger_tenant_seed(*, cooperative) -> None:
    """TENANT_SEEDER: settings row, chart of accounts, the current fiscal year."""
    # import cycle: ledger.services.accounts imports this module (chart_seed, normal_side_for)
    from .services import fiscal_year_ensure

    chart_seed()
    fiscal_year_ensure(year=timezone.localdate().year)


def ledger_demo_seed(*, cooperative) -> None:
    """DEMO_SEEDER: an opening balance at the start of the current year (idempotent via
    its source reference)."""
    # import cycle: ledger.services.accounts imports this module (chart_seed, normal_side_for)
    from .services import LineSpec, fiscal_year_ensure, journal_post

    chart_seed()
    today = timezone.localdate()
    on = date(today.year, 1, 1)
    fiscal_year_ensure(year=on.year)
    ref = f"demo-opening-{on.year}"
    if JournalEntry.objects.filter(source=JournalEntry.Source.OPENING, source_ref=ref).exists():
        return
    journal_post(
        on=on,
        description="Saldo awal (data demo)",
        source=JournalEntry.Source.OPENING,
        source_ref=ref,
        by="seed_demo",
        lines=[
            LineSpec(account_for_role("cash"), debit=Decimal("25000000")),
            LineSpec(account_for_role("bank"), debit=Decimal("475000000")),
            LineSpec(account_for_role("opening_balance"), credit=Decimal("500000000")),
        ],
    )
