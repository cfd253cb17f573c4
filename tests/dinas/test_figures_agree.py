"""Every figure the Dinas officer reads equals what the cooperative's own books and
reports show on the same day. Two cooperatives with known data:

- A (Kapuas): 2025 kept and closed in Lumbung (three savers, a loan repaid four times of
  ten, other income; SHU posted after the RAT of 1 March 2026); in 2026 a deposit, a
  deposit reversed, a manual income entry reversed, a member who joined and left this
  month, a new loan that is current, and the 2025 loan now Macet (the arrears run of
  today); B (Kotawaringin Barat): one saver and one current loan, no year closed.

Each Dinas figure (table row, area totals, profile, ministry row) is compared with the
cooperative's trial balance, loan quality, member register and year end, computed in
its own schema; never with the Dinas selectors themselves."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from core.common.money import format_rupiah
from lumbung.dinas.models import Indicator, YearFigures
from lumbung.dinas.refresh import indicators_refresh_one
from tests.loans.conftest import loan_paid_out
from tests.members import factories as f
from tests.portal.conftest import books_open_back_to
from tests.yearend.conftest import _deposit, close_preliminaries

from .conftest import consent, refresh, verified_client

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
D = Decimal
YEAR = 2025


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _product(code: str):
    from core.loans.models import LoanProduct

    return LoanProduct.objects.create(
        code=code,
        name=f"Produk {code}",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        max_instalment_share=D("90"),
        min_membership_months=0,
    )


def _loan(member, product, principal: str, tenor: int, on: date, staff):
    return loan_paid_out(
        member=member, product=product, principal=principal, tenor=tenor, on=on, staff=staff
    )


def _staff():
    return {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas")}


def _build_a(coop, today: date) -> dict:
    """Cooperative A's books (see the module's docstring)."""
    from core.exits.services import exit_settlement_confirm
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, journal_reverse
    from core.loans.arrears import loans_arrears_update
    from core.loans.services import loan_repay
    from core.savings.services import teller_reverse
    from core.yearend.services import shu_post, yearend_close

    connection.set_tenant(coop)
    staff = _staff()
    by = staff["bendahara"]
    books_open_back_to(YEAR)
    m1 = f.member(full_name="Satu", take_home_pay=D("15000000"))
    m2 = f.member(full_name="Dua", take_home_pay=D("15000000"))
    m3 = f.member(full_name="Tiga")
    journal_post(
        on=date(YEAR, 1, 2),
        description="Saldo awal",
        source="opening",
        source_ref="dinas-figures-opening",
        by=by,
        lines=[
            LineSpec(account_for_role("bank"), debit=D("500000000")),
            LineSpec(account_for_role("opening_balance"), credit=D("500000000")),
        ],
    )
    _deposit(m1, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m1, "wajib", "4900000", date(YEAR, 1, 10), by)
    _deposit(m2, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m2, "wajib", "2500000", date(YEAR, 7, 10), by)
    _deposit(m3, "sukarela", "1000000", date(YEAR, 1, 10), by)
    journal_post(
        on=date(YEAR, 6, 30),
        description="Pendapatan lain",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("cash"), debit=D("100000000")),
            LineSpec(account_for_role("other_income"), credit=D("100000000")),
        ],
    )
    product = _product("DA")
    old_loan = _loan(m1, product, "10000000", 10, date(YEAR, 2, 1), staff)
    for month in range(3, 7):  # four of ten instalments, then nothing: in arrears
        loan_repay(loan=old_loan, amount=D("1100000"), by=by, on=date(YEAR, month, 1))
    close_preliminaries(by, year=YEAR)
    year_end = yearend_close(year=YEAR, by=by)
    fiscal_year_ensure(year=today.year)
    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="01/RAT/2026", by=by)

    # 2026: a deposit; a deposit reversed; an income entry reversed
    _deposit(m2, "sukarela", "750000", date(YEAR + 1, 3, 5), by)
    wrong = _deposit(m3, "sukarela", "400000", date(YEAR + 1, 4, 1), by)
    teller_reverse(txn=wrong, on=date(YEAR + 1, 4, 2), reason="salah rekening", by=by)
    entry = journal_post(
        on=date(YEAR + 1, 5, 1),
        description="Pendapatan salah catat",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("cash"), debit=D("2500000")),
            LineSpec(account_for_role("other_income"), credit=D("2500000")),
        ],
    )
    journal_reverse(entry=entry, on=date(YEAR + 1, 5, 2), reason="salah catat", by=by)
    # a member who joined this year and leaves this month
    m4 = f.member(full_name="Empat", join_date=date(YEAR + 1, 1, 10))
    _deposit(m4, "pokok", "100000", date(YEAR + 1, 1, 10), by)
    _deposit(m4, "wajib", "300000", date(YEAR + 1, 2, 10), by)
    exit_settlement_confirm(member=m4, reason="resigned", on=today, by=by, channel="cash")
    # a current loan, and today's arrears run (the 2025 loan is Macet by now)
    _loan(m2, product, "6000000", 12, today - timedelta(days=5), staff)
    loans_arrears_update(on=today, by=by)
    return {"year_end": year_end, "rat_date": date(YEAR + 1, 3, 1)}


def _build_b(coop, today: date) -> None:
    from core.loans.arrears import loans_arrears_update

    connection.set_tenant(coop)
    staff = _staff()
    m = f.member(full_name="Beta Satu", take_home_pay=D("12000000"))
    # B's books start this year: its days are this year's and not after today (on 1 to 4
    # January too)
    first = date(today.year, 1, 1)
    _deposit(m, "pokok", "100000", first, staff["bendahara"])
    _deposit(m, "sukarela", "2000000", min(date(today.year, 2, 5), today), staff["bendahara"])
    _loan(m, _product("DB"), "3000000", 6, max(today - timedelta(days=3), first), staff)
    loans_arrears_update(on=today, by=staff["bendahara"])


def _own_books(coop, today: date) -> dict:
    """What the cooperative itself reads, in its own schema: the trial balance (not the
    balance sheet the refresh uses), the member register, the savings control accounts,
    the loan quality screen, its year end."""
    from core.ledger.models import Account
    from core.ledger.reports import trial_balance
    from core.ledger.selectors import account_balance, account_for_role
    from core.loans.models import Loan
    from core.loans.selectors import collectibility_summary
    from core.members.models import Member
    from core.savings.models import SavingsProduct
    from core.yearend.models import YearEnd

    connection.set_tenant(coop)
    try:
        tb = trial_balance(as_of=today)
        by_type: dict[str, Decimal] = {}
        for row in tb["rows"]:
            acc = Account.objects.get(pk=row["id"])
            by_type[acc.type] = by_type.get(acc.type, D(0)) + row["debit"] - row["credit"]
        savings_accounts = {p.account for p in SavingsProduct.objects.select_related("account")}
        quality = collectibility_summary()
        year_end = YearEnd.objects.filter(year=YEAR).first()
        first = today.replace(day=1)
        tb_2025 = trial_balance(as_of=date(YEAR, 12, 31))
        assets_2025 = D(0)
        for row in tb_2025["rows"]:
            if Account.objects.get(pk=row["id"]).type == Account.Type.ASSET:
                assets_2025 += row["debit"] - row["credit"]
        return {
            "members_active": Member.objects.filter(exit_date__isnull=True).count(),
            "members_left": Member.objects.filter(exit_date__range=(first, today)).count(),
            "members_joined": Member.objects.filter(join_date__range=(first, today)).count(),
            "total_assets": by_type.get(Account.Type.ASSET, D(0)),
            # equity accounts plus the year's unclosed income less expense (credit side)
            "own_capital": -(
                by_type.get(Account.Type.EQUITY, D(0))
                + by_type.get(Account.Type.INCOME, D(0))
                + by_type.get(Account.Type.EXPENSE, D(0))
            ),
            "savings": sum((account_balance(account=a) for a in savings_accounts), D(0)),
            "loans_outstanding": account_balance(account=account_for_role("loan_receivable")),
            "loans_count": Loan.objects.filter(status="disbursed").count(),
            "npl_ratio": quality["npl_ratio"],
            "band": quality["band"],
            "non_performing": quality["non_performing"],
            "shu": year_end.shu_after_tax if year_end else None,
            "members_2025": Member.objects.filter(join_date__lte=date(YEAR, 12, 31))
            .exclude(exit_date__lte=date(YEAR, 12, 31))
            .count(),
            "assets_2025": assets_2025,
        }
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def books(placed):
    a, b = placed
    today = timezone.localdate()
    if today < date(YEAR + 1, 3, 2):
        pytest.skip("the scenario dates its 2026 postings up to today")
    made = _build_a(a, today)
    _build_b(b, today)
    connection.set_schema_to_public()
    consent(a)
    consent(b)
    refresh(a, b)
    return {
        "a": a,
        "b": b,
        "today": today,
        "made": made,
        "own_a": _own_books(a, today),
        "own_b": _own_books(b, today),
    }


def test_each_dinas_figure_equals_the_cooperatives_own_books(books, pembina_prov):
    """The stored row of each cooperative, the figures worked out from the story to the
    rupiah, and what the table, its totals, the profile and the XLSX show."""
    for key in ("a", "b"):
        own, ind = books[f"own_{key}"], Indicator.objects.get(cooperative=books[key], latest=True)
        assert ind.members_active == own["members_active"], key
        assert ind.members_joined == own["members_joined"], key
        assert ind.members_left == own["members_left"], key
        assert ind.total_assets == own["total_assets"], key
        assert ind.own_capital == own["own_capital"], key
        assert ind.savings == own["savings"], key
        assert ind.loans_outstanding == own["loans_outstanding"], key
        assert ind.npl_ratio == own["npl_ratio"], key
        assert ind.health_band == own["band"], key
    # the figures an officer would work out from the story, to the rupiah
    a = Indicator.objects.get(cooperative=books["a"], latest=True)
    own = books["own_a"]
    # m1, m2, m3 on the register; m4 joined in 2026 and left today
    assert a.members_active == 3 and a.members_left == 1
    # savings: 5,000,000 + 2,600,000 + 1,000,000 (2025) + 750,000 (2026); the reversed
    # 400,000 and the leaver's 400,000 (paid out) are not there; plus December's jasa
    assert a.savings >= D("9350000") and a.savings < D("9350000") + D("100000")
    # the 2025 loan: 10,000,000 less four instalments' principal (4 x 1,000,000) is
    # Macet; the new loan of 6,000,000 is Lancar
    assert a.loans_outstanding == D("12000000") == own["loans_outstanding"]
    assert own["non_performing"] == D("6000000")
    assert a.npl_ratio == D("50.00") and a.health_band == "tidak_sehat"
    # SHU of 2025 = the year end's SHU after tax; the RAT of 1 March 2026
    assert a.shu_year == YEAR and a.shu_last_year == books["made"]["year_end"].shu_after_tax
    assert (a.last_rat_year, a.last_rat_date) == (YEAR, books["made"]["rat_date"])
    b = Indicator.objects.get(cooperative=books["b"], latest=True)
    assert b.members_active == 1 and b.savings == D("2100000")
    assert b.loans_outstanding == D("3000000") and b.npl_ratio == 0
    assert b.shu_year is None and b.shu_last_year == 0 and b.shu_note
    # the pages and the file show the same; the totals add up
    a, b = books["a"], books["b"]
    own_a, own_b = books["own_a"], books["own_b"]
    client = verified_client(pembina_prov.user)
    body = client.get("/dinas/").content.decode()
    for own in (own_a, own_b):
        for key in ("total_assets", "own_capital", "savings", "loans_outstanding"):
            assert format_rupiah(own[key]) in body, key
    totals = client.get("/dinas/").context["totals"]
    assert totals["count"] == 2
    assert totals["members_active"] == own_a["members_active"] + own_b["members_active"]
    assert totals["loans_outstanding"] == own_a["loans_outstanding"] + own_b["loans_outstanding"]
    npl = (own_a["non_performing"] + own_b["non_performing"]) * 100
    assert totals["npl_ratio"] == (npl / totals["loans_outstanding"]).quantize(D("0.01"))
    profile = client.get(f"/dinas/koperasi/{a.pk}/").content.decode()
    assert format_rupiah(own_a["total_assets"]) in profile
    xlsx = client.get("/dinas/", {"format": "xlsx", "sort": "name"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    by_name = {r[0]: r for r in rows[1:-1]}
    assert by_name[a.name][6] == own_a["total_assets"]
    assert by_name[b.name][9] == own_b["loans_outstanding"]


def test_the_ministry_row_of_the_closed_year_equals_its_year_end(books):
    """The daily refresh writes the rows of last year and this year: YEAR's row is the
    one written while YEAR was last year (its last on 31 December of the next year), kept
    by the refreshes after it. From the year after next (2027) the cooperative, made
    today, had no refresh then: it is run as of that day, then today's again."""
    last_as_last_year = min(books["today"], date(YEAR + 1, 12, 31))
    indicators_refresh_one(cooperative_id=books["a"].pk, today=last_as_last_year)
    indicators_refresh_one(cooperative_id=books["a"].pk)
    years = set(YearFigures.objects.filter(cooperative=books["a"]).values_list("year", flat=True))
    assert years >= {YEAR, books["today"].year - 1, books["today"].year}  # today's kept YEAR's
    y = YearFigures.objects.get(cooperative=books["a"], year=YEAR)
    own = books["own_a"]
    assert y.complete is True
    assert y.members == own["members_2025"] == 3
    assert y.total_assets == own["assets_2025"]
    assert y.shu == books["made"]["year_end"].shu_after_tax
    assert y.rat_held is True and y.rat_date == books["made"]["rat_date"]
