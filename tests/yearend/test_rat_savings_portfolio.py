"""The RAT pack's savings portfolio counts the accounts held at 31 December: open then
(an empty one too), or with money in them at year end. An account closed during the year
(a member who left, paid out) is not one of them; one closed after 31 December is."""

from datetime import date
from decimal import Decimal

from core.exits.services import exit_settlement_confirm
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsAccount, SavingsProduct
from core.savings.services import savings_account_get_or_open
from core.yearend.rat import rat_pack_tables
from core.yearend.services import yearend_close

from .conftest import YEAR, close_preliminaries

SAVINGS_ROLES = ("savings_pokok", "savings_wajib", "savings_sukarela", "savings_berjangka")


def _portfolio() -> dict:
    table = next(t for t in rat_pack_tables(year=YEAR) if str(t["title"]) == "Portofolio simpanan")
    rows = {r["cells"][0]: r["cells"] for r in table["rows"] if r["kind"] == "row"}
    [total] = [r["cells"] for r in table["rows"] if r["kind"] == "total"]
    return rows | {"total": total}


def _members_at_end() -> int:
    stats = next(
        t for t in rat_pack_tables(year=YEAR) if str(t["title"]).startswith("Statistik anggota")
    )
    return next(r for r in stats["rows"] if r["cells"][1] == "Anggota akhir tahun")["cells"][2]


def _code(member, kind: str) -> str:
    return SavingsAccount.objects.get(member=member, product__kind=kind).product.code


def _ledger_savings() -> Decimal:
    end = date(YEAR, 12, 31)
    return sum(
        (account_balance(account=account_for_role(r), as_of=end) for r in SAVINGS_ROLES),
        Decimal(0),
    )


def test_account_closed_when_its_member_left_during_the_year_is_not_counted(year_data, staff):
    by = staff["bendahara"]
    sukarela = _code(year_data["m3"], "sukarela")
    exit_settlement_confirm(
        member=year_data["m3"], reason="resigned", on=date(YEAR, 11, 3), by=by, channel="bank"
    )
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    p = _portfolio()
    assert _members_at_end() == 2
    assert p[sukarela][2] == 2  # m1 and m2; m3's closed, empty account is not held
    assert p["total"][2] == 6  # 2 pokok, 2 wajib, 2 sukarela
    assert p["total"][3] == _ledger_savings()


def test_account_closed_after_31_december_is_counted_with_its_year_end_balance(year_data, staff):
    from core.ledger.services import fiscal_year_ensure

    by = staff["bendahara"]
    sukarela = _code(year_data["m3"], "sukarela")
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    fiscal_year_ensure(year=YEAR + 1)
    exit_settlement_confirm(
        member=year_data["m3"], reason="resigned", on=date(YEAR + 1, 1, 10), by=by, channel="bank"
    )
    p = _portfolio()
    assert p[sukarela][2] == 3
    assert p["total"][2] == 7
    assert p["total"][3] == _ledger_savings()


def test_open_empty_account_is_counted(year_data, staff):
    """m3 has a wajib account opened in December, nothing paid into it yet: the
    cooperative holds it at 31 December (balance 0)."""
    by = staff["bendahara"]
    product = SavingsProduct.objects.filter(kind="wajib", is_active=True).order_by("id").first()
    savings_account_get_or_open(
        member=year_data["m3"], product=product, on=date(YEAR, 12, 1), by=by
    )
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    p = _portfolio()
    assert p[product.code][2] == 3
    assert p["total"][2] == 8
    assert p["total"][3] == _ledger_savings()
