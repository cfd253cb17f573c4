"""A cooperative that moved to Lumbung on 30 June with capital as the average of the
twelve month-end balances: the month-ends before the cut-over have no savings in
Lumbung (the opening balances are dated the cut-over). They take each member's capital
brought in at the cut-over (zero before the member joined), not zero for everybody,
which gave the jasa modal to whoever saved more after the cut-over."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.common.dates import format_date
from core.ledger.selectors import account_for_role
from core.members.models import Member
from core.onboarding.services import move_in_go_live, move_in_start, trial_balance_post
from core.yearend.selectors import shu_preview
from core.yearend.services import shu_settings_set
from tests.members import factories as f
from tests.members.test_import import rows as member_rows
from tests.members.test_import import to_csv

from .conftest import YEAR, _deposit
from .test_moved_in_year import _close_year

D = Decimal
CUTOVER = date(YEAR, 6, 30)


@pytest.fixture
def moved_in_average(staff):
    """Two members brought in on 30 June: Lama (joined 2019, pokok + wajib 1,200,000,
    saves nothing more) and Baru (joined 15 March of the year in the old books,
    600,000 brought in, wajib 600,000 more on 10 August). SHU after tax 1,500,000 (the
    jasa modal pool: 375,000)."""
    from core.savings.member_import import member_import_run, member_import_upload

    by = staff["bendahara"]
    f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")
    shu_settings_set(year=YEAR, by=by, capital_basis="average")
    mi = move_in_start(cutover_date=CUTOVER, by=by)
    trial_balance_post(
        move_in=mi,
        by=by,
        rows=[
            {"row": 2, "account": account_for_role("cash").code, "debit": "11.800.000"},
            {
                "row": 3,
                "account": account_for_role("loan_interest_income").code,
                "credit": "1.500.000",
            },
            {"row": 4, "account": account_for_role("reserve").code, "credit": "8.500.000"},
            {"row": 5, "account": "3101", "credit": "200.000"},
            {"row": 6, "account": "3102", "credit": "1.600.000"},
        ],
    )
    old, new = member_rows(2, saldo_sukarela="")
    old.update(nama_lengkap="Lama", tanggal_masuk="2019-03-01", saldo_wajib="1.100.000")
    new.update(nama_lengkap="Baru", tanggal_masuk=f"{YEAR}-03-15", saldo_wajib="500.000")
    batch = member_import_upload(content=to_csv([old, new]), file_name="a.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=CUTOVER, by=by)
    move_in_go_live(move_in=mi, by=by)
    lama = Member.objects.get(full_name="Lama")
    baru = Member.objects.get(full_name="Baru")
    _deposit(baru, "wajib", "600000", date(YEAR, 8, 10), by)
    _close_year(by)
    return {"lama": lama, "baru": baru, "by": by}


def test_month_ends_before_the_cutover_take_the_capital_brought_in(moved_in_average):
    lama, baru = moved_in_average["lama"], moved_in_average["baru"]
    p = shu_preview(year=YEAR)
    rows = {r.member_id: r for r in p.allocation.shares}
    # Lama: 1,200,000 at all twelve month-ends (January-May estimated from the cut-over)
    assert rows[lama.pk].capital == D("1200000")
    # Baru: January, February 0 (not a member yet); March-May 600,000 estimated; June,
    # July 600,000; August-December 1,200,000: 9,000,000 / 12
    assert rows[baru.pk].capital == D("750000")
    pool = p.split.funds["jasa_modal"]
    assert pool == D("375000")
    # 375,000 x 1,200,000 / 1,950,000 = 230,769.23; x 750,000 / 1,950,000 = 144,230.77
    assert (rows[lama.pk].jma, rows[baru.pk].jma) == (D("230769"), D("144231"))
    assert rows[lama.pk].jma + rows[baru.pk].jma == pool
    ends = [date(YEAR, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31))]
    assert p.capital_estimates == [
        {
            "cutover": CUTOVER,
            "month_ends": ends,
            "members": 2,
            "old_books_month_ends": [],
            "old_books_members": 0,
            # Baru joined on 15 March: January and February are Lama's alone
            "months": [
                {"month_end": e, "old_books": 0, "estimated": 1 if e.month < 3 else 2}
                | {"sukarela_estimated": 0}
                for e in ends
            ],
        }
    ]


def test_the_preview_page_and_api_say_which_months_were_estimated(moved_in_average):
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(moved_in_average["by"])
    page = c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    assert 'id="capital-estimated"' in page
    note = page.split('id="capital-estimated"')[1].split("</div>")[0]
    assert f"Januari, Februari, Maret, April, Mei {YEAR}" in note
    assert format_date(CUTOVER) in note and "2 anggota" in note
    assert "saldo awal" in note
    xlsx = load_workbook(io.BytesIO(c.get(f"/tutup-buku/{YEAR}/pratinjau/?format=xlsx").content))
    cells = [v for row in xlsx.active.iter_rows(values_only=True) for v in row if v]
    assert any(isinstance(v, str) and v.startswith("Modal rata-rata: akhir bulan") for v in cells)
    data = c.get(f"/api/v1/yearend/{YEAR}/preview/").json()
    ends = [f"{YEAR}-01-31", f"{YEAR}-02-28", f"{YEAR}-03-31", f"{YEAR}-04-30", f"{YEAR}-05-31"]
    assert data["capital_estimated"] == [
        {
            "cutover": CUTOVER.isoformat(),
            "month_ends": ends,
            "members": 2,
            "old_books_month_ends": [],
            "old_books_members": 0,
            "months": [
                {
                    "month_end": e,
                    "old_books": 0,
                    "estimated": 1 if e < f"{YEAR}-03" else 2,
                    "sukarela_estimated": 0,
                }
                for e in ends
            ],
        }
    ]


def test_year_end_basis_has_nothing_estimated(moved_in_average, staff):
    from core.yearend.models import YearEnd

    ye = YearEnd.objects.get(year=YEAR)
    ye.settings_snapshot = {**ye.settings_snapshot, "capital_basis": "year_end"}
    ye.save(update_fields=["settings_snapshot"])
    p = shu_preview(year=YEAR)
    rows = {r.member_id: r for r in p.allocation.shares}
    assert rows[moved_in_average["baru"].pk].capital == D("1200000")
    assert p.capital_estimates == []
