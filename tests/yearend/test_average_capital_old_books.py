"""Average capital with a move-in on 30 June and the old books' month-end balances
uploaded (step 4b of Pindah ke Lumbung): the month-ends before the cut-over take the
uploaded figures; only the month-ends still missing are estimated from the capital
brought in at the cut-over, and the preview says per month which is which.

The cooperative of ``test_average_capital_cutover``: Lama (joined 2019, 1,200,000
brought in) and Baru (joined 15 March, 600,000 brought in, 600,000 wajib more on 10
August); SHU after tax 1,500,000, jasa modal pool 375,000."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.ledger.selectors import account_for_role
from core.members.models import Member
from core.onboarding.capital import capital_balances_post
from core.onboarding.services import move_in_go_live, move_in_start, trial_balance_post
from core.yearend.models import YearEnd
from core.yearend.selectors import shu_preview
from core.yearend.services import shu_settings_set
from tests.members import factories as f
from tests.members.test_import import rows as member_rows
from tests.members.test_import import to_csv

from .conftest import YEAR, _deposit
from .test_moved_in_year import _close_year

D = Decimal
CUTOVER = date(YEAR, 6, 30)
ENDS = [date(YEAR, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31))]


@pytest.fixture
def moved_in(staff):
    """Moved in on 30 June with the average basis, not closed yet."""
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
    return {"mi": mi, "by": by, "lama": lama, "baru": baru}


def _upload(moved_in):
    """Lama: every month-end from January to May (with sukarela, which this cooperative
    does not count); Baru: March only (April and May stay estimated)."""
    lama, baru = moved_in["lama"], moved_in["baru"]
    wajib = ["900.000", "950.000", "1.000.000", "1.000.000", "1.050.000"]
    rows = [
        {
            "row": i,
            "member_number": lama.number,
            "month": str(month),
            "pokok": "100.000",
            "wajib": w,
            "sukarela": "250.000",
        }
        for i, (month, w) in enumerate(zip(range(1, 6), wajib, strict=True), start=2)
    ]
    rows.append(
        {
            "row": 7,
            "member_number": baru.number,
            "month": "Maret",
            "pokok": "100.000",
            "wajib": "200.000",
        }
    )
    saved = capital_balances_post(move_in=moved_in["mi"], rows=rows, by=moved_in["by"])
    assert (saved["members"], saved["rows"]) == (2, 6)


def test_uploaded_month_ends_give_exactly_the_hand_computed_jma(moved_in):
    _upload(moved_in)
    _close_year(moved_in["by"])
    lama, baru = moved_in["lama"], moved_in["baru"]
    p = shu_preview(year=YEAR)
    rows = {r.member_id: r for r in p.allocation.shares}
    # Lama, from the old books: 1,000,000 + 1,050,000 + 1,100,000 + 1,100,000 +
    # 1,150,000 = 5,400,000; June-December 7 x 1,200,000 = 8,400,000; / 12
    assert rows[lama.pk].capital == D("1150000")
    # Baru: January, February 0 (not a member yet); March 300,000 from the old books;
    # April, May 600,000 estimated (the capital brought in); June, July 600,000;
    # August-December 1,200,000: (300,000 + 1,200,000 + 1,200,000 + 6,000,000) / 12
    assert rows[baru.pk].capital == D("725000")
    # pool 375,000 over capital 1,875,000: a fifth of each member's capital
    assert p.split.funds["jasa_modal"] == D("375000")
    assert (rows[lama.pk].jma, rows[baru.pk].jma) == (D("230000"), D("145000"))
    estimate = p.capital_estimates
    assert estimate == [
        {
            "cutover": CUTOVER,
            "month_ends": [date(YEAR, 4, 30), date(YEAR, 5, 31)],
            "members": 1,
            "old_books_month_ends": ENDS,
            "old_books_members": 2,
            "months": [
                {"month_end": ENDS[0], "old_books": 1, "estimated": 0, "sukarela_estimated": 0},
                {"month_end": ENDS[1], "old_books": 1, "estimated": 0, "sukarela_estimated": 0},
                {"month_end": ENDS[2], "old_books": 2, "estimated": 0, "sukarela_estimated": 0},
                {"month_end": ENDS[3], "old_books": 1, "estimated": 1, "sukarela_estimated": 0},
                {"month_end": ENDS[4], "old_books": 1, "estimated": 1, "sukarela_estimated": 0},
            ],
        }
    ]


def test_without_the_upload_every_month_before_the_cutover_is_estimated(moved_in):
    _close_year(moved_in["by"])
    rows = {r.member_id: r for r in shu_preview(year=YEAR).allocation.shares}
    assert rows[moved_in["lama"].pk].capital == D("1200000")
    assert rows[moved_in["baru"].pk].capital == D("750000")


def test_the_preview_says_per_month_old_books_or_estimated(moved_in):
    _upload(moved_in)
    _close_year(moved_in["by"])
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(moved_in["by"])
    page = c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    note = page.split('id="capital-estimated"')[1].split('id="capital-months"')[0]
    assert "Untuk 2 anggota saldo akhir bulan diambil dari pembukuan lama" in note
    assert "untuk 1 anggota yang dibawa masuk" in note
    table = page.split('id="capital-months"')[1].split("</table>")[0]
    cells = [
        re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for row in table.split("<tbody>")[1].split("</tr>")[:-1]
    ]
    assert cells == [
        [f"Januari {YEAR}", "1", "0"],
        [f"Februari {YEAR}", "1", "0"],
        [f"Maret {YEAR}", "2", "0"],
        [f"April {YEAR}", "1", "1"],
        [f"Mei {YEAR}", "1", "1"],
    ]
    xlsx = load_workbook(io.BytesIO(c.get(f"/tutup-buku/{YEAR}/pratinjau/?format=xlsx").content))
    texts = [
        v for row in xlsx.active.iter_rows(values_only=True) for v in row if isinstance(v, str)
    ]
    assert f"Akhir April {YEAR}: 1 anggota dari pembukuan lama, 1 anggota diperkirakan." in texts
    assert f"Akhir Maret {YEAR}: 2 anggota dari pembukuan lama, 0 anggota diperkirakan." in texts
    data = c.get(f"/api/v1/yearend/{YEAR}/preview/").json()["capital_estimated"][0]
    assert data["old_books_members"] == 2 and data["members"] == 1
    assert data["months"][3] == {
        "month_end": f"{YEAR}-04-30",
        "old_books": 1,
        "estimated": 1,
        "sukarela_estimated": 0,
    }


def test_sukarela_counted_takes_the_uploaded_sukarela_and_estimates_the_missing(moved_in):
    _upload(moved_in)
    _close_year(moved_in["by"])
    ye = YearEnd.objects.get(year=YEAR)
    ye.settings_snapshot = {**ye.settings_snapshot, "capital_includes_sukarela": True}
    ye.save(update_fields=["settings_snapshot"])
    p = shu_preview(year=YEAR)
    rows = {r.member_id: r for r in p.allocation.shares}
    # Lama: 250,000 sukarela at each of the five month-ends: + 1,250,000 / 12
    assert rows[moved_in["lama"].pk].capital == D("1254166.66")
    # Baru's March had no sukarela: pokok and wajib from the old books, sukarela
    # estimated from what was brought in (none)
    assert rows[moved_in["baru"].pk].capital == D("725000")
    march = p.capital_estimates[0]["months"][2]
    assert march == {"month_end": ENDS[2], "old_books": 1, "estimated": 0, "sukarela_estimated": 1}
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(moved_in["by"])
    page = c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    table = page.split('id="capital-months"')[1].split("</table>")[0]
    assert "sukarela diperkirakan" in table
    assert re.search(rf"<td>Maret {YEAR}</td>(<td[^>]*>[0-9]+</td>){{3}}", table)
