"""Close checklist, close, reopen, preview, posting and payout on cooperative A's 2025."""

import copy
from datetime import date
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.yearend.models import MemberShare, ShuPayout, YearEnd
from core.yearend.selectors import close_checklist, preview_rows, shu_preview
from core.yearend.services import (
    shu_payout,
    shu_post,
    shu_settings_set,
    yearend_close,
    yearend_reopen,
)

from .conftest import YEAR

D = Decimal
RAT = date(YEAR + 1, 3, 1)


@pytest.fixture
def staff(year_once, in_tenant_a):
    """The module's staff (``year_once``), copied for the test."""
    return copy.deepcopy(year_once["staff"])


@pytest.fixture
def year_data(year_once, staff):
    """The module's 2025 (``year_once``), its objects copied for the test."""
    return copy.deepcopy(year_once["year"])


def _bal(role):
    return account_balance(account=account_for_role(role))


def test_checklist_lists_what_is_missing_with_links(year_data):
    items = {i.key: i for i in close_checklist(year=YEAR)}
    assert (
        not items["months_closed"].ok and "/buku-besar/periode/" in items["months_closed"].fix_url
    )
    assert not items["arrears_run"].ok
    assert not items["interest_accrued"].ok
    assert items["payroll_posted"].ok  # no payroll deduction used in the year
    assert items["manual_pending"].ok


def test_close_refused_while_checklist_open(year_data):
    with pytest.raises(ApplicationError) as e:
        yearend_close(year=YEAR, by=year_data["by"])
    assert e.value.code == "close_checklist_incomplete"
    assert "months_closed" in e.value.fields
    assert FiscalYear.objects.get(year=YEAR).status == "open"
    assert not YearEnd.objects.exists()


def test_computing_an_unclosed_year_is_refused(year_data):
    with pytest.raises(ApplicationError) as e:
        shu_preview(year=YEAR)
    assert e.value.code == "year_not_closed"


def test_close_moves_shu_after_tax_to_undistributed_and_locks(ready, staff):
    shu_settings_set(year=YEAR, by=staff["bendahara"], tax_rule="shu_percent", tax_rate="10")
    assert all(i.ok for i in close_checklist(year=YEAR))
    ye = yearend_close(year=YEAR, by=staff["bendahara"])
    assert ye.status == "closed"
    assert ye.income_tax == (ye.shu_before_tax * D("0.10")).quantize(D("1"), rounding="ROUND_FLOOR")
    assert ye.shu_after_tax == ye.shu_before_tax - ye.income_tax
    assert ye.shu_before_tax > D("90000000")  # other income + jasa − interest and PPAP
    assert _bal("shu_undistributed") == ye.shu_after_tax
    assert _bal("shu_current_year") == 0
    assert _bal("tax_payable") >= ye.income_tax
    assert FiscalYear.objects.get(year=YEAR).status == "closed"
    with pytest.raises(ApplicationError) as e:
        yearend_close(year=YEAR, by=staff["bendahara"])
    assert e.value.code == "year_already_closed"
    assert AuditEvent.objects.filter(action="yearend.close").count() == 1


def test_reopen_needs_admin_and_reason_and_reverses(ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    with pytest.raises(ApplicationError) as e:
        yearend_reopen(year=YEAR, reason="salah", by=staff["bendahara"])
    assert e.value.status_code == 403
    with pytest.raises(ApplicationError) as e:
        yearend_reopen(year=YEAR, reason=" ", by=staff["admin"])
    assert e.value.code == "reason_required"
    ye = yearend_reopen(year=YEAR, reason="koreksi penyusutan", by=staff["admin"])
    assert ye.status == "reopened"
    assert _bal("shu_undistributed") == 0 and _bal("shu_current_year") == 0
    assert FiscalYear.objects.get(year=YEAR).status == "open"
    assert AuditEvent.objects.filter(action="yearend.reopen", reason="koreksi penyusutan").exists()
    with pytest.raises(ApplicationError):
        shu_preview(year=YEAR)
    # and it closes again (December is open; close it first)
    from core.ledger.models import Period
    from core.ledger.services import period_close

    period_close(period=Period.objects.get(fiscal_year__year=YEAR, month=12), by=staff["bendahara"])
    again = yearend_close(year=YEAR, by=staff["bendahara"])
    assert again.status == "closed" and _bal("shu_undistributed") == again.shu_after_tax


def test_preview_inputs_and_pools(ready, staff):
    ye = yearend_close(year=YEAR, by=staff["bendahara"])
    p = shu_preview(year=YEAR)
    rows = {r.member_id: r for r in p.allocation.shares}
    m1, m2, m3 = ready["m1"], ready["m2"], ready["m3"]
    assert rows[m1.pk].capital == D("5000000")
    assert rows[m2.pk].capital == D("2600000")
    assert rows[m3.pk].capital == 0  # sukarela is not capital by default
    assert rows[m1.pk].contribution == D("400000")  # 4 × 1% of 10,000,000
    assert rows[m2.pk].contribution == 0
    assert sum(r.jma for r in p.allocation.shares) == p.split.funds["jasa_modal"]
    assert sum(r.jua for r in p.allocation.shares) == p.split.funds["jasa_anggota"]
    assert rows[m1.pk].jua == p.split.funds["jasa_anggota"]
    assert sum(p.split.funds.values()) == ye.shu_after_tax
    ordered = preview_rows(p, sort="-total")
    assert ordered[0].member_id == m1.pk
    with pytest.raises(ApplicationError):
        preview_rows(p, sort="colour")


def test_average_basis_and_sukarela_as_capital(ready, staff):
    shu_settings_set(
        year=YEAR, by=staff["bendahara"], capital_basis="average", capital_includes_sukarela=True
    )
    yearend_close(year=YEAR, by=staff["bendahara"])
    rows = {r.member_id: r for r in shu_preview(year=YEAR).allocation.shares}
    # m2: pokok 100,000 all year, wajib 2,500,000 from July (6 month-ends), sukarela 1
    assert rows[ready["m2"].pk].capital == D("1350001")
    assert rows[ready["m3"].pk].capital > D("1000000")  # sukarela + its interest


def test_post_once_then_payout_cash_and_sukarela(ready, staff):
    by = staff["bendahara"]
    ye = yearend_close(year=YEAR, by=by)
    with pytest.raises(ApplicationError) as e:
        shu_post(year=YEAR, rat_date=RAT, rat_decision="", by=by)
    assert e.value.code == "rat_invalid"
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="04/RAT/2026", by=by)
    assert ye.status == "posted"
    assert _bal("shu_undistributed") == 0
    shares = {s.member_id: s for s in MemberShare.objects.filter(year_end=ye)}
    payable = sum(s.total for s in shares.values())
    assert _bal("shu_members_payable") == payable
    assert _bal("reserve") == D(ye.funds["cadangan"])
    with pytest.raises(ApplicationError) as e:
        shu_post(year=YEAR, rat_date=RAT, rat_decision="04/RAT/2026", by=by)
    assert e.value.code == "shu_already_posted"
    assert JournalEntry.objects.filter(source="shu", source_ref=f"yearend:{YEAR}:post").count() == 1
    # reopening a posted year is refused
    with pytest.raises(ApplicationError) as e:
        yearend_reopen(year=YEAR, reason="x", by=staff["admin"])
    assert e.value.code == "shu_already_posted"

    m1, m2 = ready["m1"], ready["m2"]
    s1, s2 = shares[m1.pk], shares[m2.pk]
    on = date(YEAR + 1, 3, 2)
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m1.pk, s1.total + 1)], method="cash", by=by, on=on)
    assert e.value.code == "shu_payout_exceeds_share"
    assert not ShuPayout.objects.exists()
    part = shu_payout(year=YEAR, items=[(m1.pk, 1000)], method="cash", by=by, on=on)
    assert part[0].receipt_number.startswith(f"SHU-{on.year}-")
    shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=on)
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=on)
    assert e.value.code == "shu_already_paid"
    from core.savings.models import SavingsAccount

    acc = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    before = acc.balance
    shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=on)
    acc.refresh_from_db()
    assert acc.balance == before + s2.total
    m3_total = shares[ready["m3"].pk].total
    assert _bal("shu_members_payable") == m3_total  # the unpaid stays a liability
    from core.savings.selectors import savings_reconciliation

    assert savings_reconciliation().ok
    from core.ledger.selectors import balances_check

    assert balances_check() == []


def test_payout_refused_when_the_exit_settlement_already_paid_the_share(ready, staff):
    """The exit settlement pays unpaid SHU from SHU bagian anggota (per member); the
    share row cannot be paid again afterwards."""
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="05/RAT", by=by)
    m2 = ready["m2"]
    share = MemberShare.objects.get(year_end=ye, member=m2)
    from core.ledger.services import LineSpec, journal_post

    journal_post(  # what the exit settlement posts for the member's unpaid SHU
        on=date(YEAR + 1, 3, 5),
        description="Penyelesaian keluar (uji)",
        source="member",
        source_ref="uji:exit-settlement",
        by=by,
        lines=[
            LineSpec(account_for_role("shu_members_payable"), debit=share.total, member_id=m2.pk),
            LineSpec(account_for_role("cash"), credit=share.total),
        ],
    )
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m2.pk, None)], method="cash", by=by, on=date(YEAR + 1, 3, 6))
    assert e.value.code == "shu_already_paid"
    assert not ShuPayout.objects.filter(share=share).exists()


def test_ledger_reopen_refuses_a_year_closed_by_the_year_end(ready, staff):
    """Reopening through the ledger's period screen would reverse the closing entry but
    leave the SHU in SHU belum dibagi: refused; the year end's reopen does both."""
    from core.ledger.models import Period
    from core.ledger.services import period_reopen

    yearend_close(year=YEAR, by=staff["bendahara"])
    december = Period.objects.get(fiscal_year__year=YEAR, month=12)
    with pytest.raises(ApplicationError) as e:
        period_reopen(period=december, reason="koreksi", by=staff["admin"])
    assert e.value.code == "year_closed_by_year_end"
    assert FiscalYear.objects.get(year=YEAR).status == "closed"
    yearend_reopen(year=YEAR, reason="koreksi", by=staff["admin"])
    assert _bal("shu_undistributed") == 0


def test_unpaid_share_appears_in_the_exit_settlement(ready, staff):
    from core.exits.services import exit_settlement_preview

    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="06/RAT", by=by)
    m2 = ready["m2"]
    share = MemberShare.objects.get(year_end=ye, member=m2)
    assert exit_settlement_preview(member=m2, on=RAT).shu_unpaid == share.total
    shu_payout(year=YEAR, items=[(m2.pk, 1000)], method="cash", by=by, on=RAT)
    assert exit_settlement_preview(member=m2, on=RAT).shu_unpaid == share.total - 1000
