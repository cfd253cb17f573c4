"""A cooperative that moved to Lumbung during the year (cut-over 30 June): the year's SHU
counts the whole year's income (the opening trial balance brings January-June in) and
its jasa anggota pool must be shared by the jasa members paid in the whole year, the old
books' months included, not only by what was paid after the cut-over."""

from datetime import date
from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import Period
from core.ledger.selectors import account_for_role
from core.ledger.services import period_close
from core.loans.arrears import loans_arrears_update
from core.loans.models import JasaPaidBroughtIn
from core.members.services import member_status_set
from core.onboarding.contributions import shu_contributions_post
from core.onboarding.services import (
    move_in_go_live,
    move_in_start,
    move_in_undo,
    trial_balance_post,
)
from core.savings.models import SavingsProduct
from core.savings.services import savings_interest_accrue
from core.yearend.selectors import shu_preview
from core.yearend.services import yearend_close
from tests.members import factories as f

from .conftest import YEAR, _deposit

D = Decimal
CUTOVER = date(YEAR, 6, 30)


@pytest.fixture
def moved_in(staff):
    by = staff["bendahara"]
    m1, m2, m3 = (f.member(full_name=n) for n in ("Satu", "Dua", "Tiga"))
    mi = move_in_start(cutover_date=CUTOVER, by=by)
    trial_balance_post(
        move_in=mi,
        by=by,
        rows=[
            {"row": 2, "account": account_for_role("cash").code, "debit": "10.000.000"},
            # jasa pinjaman January-June, paid in the old books
            {
                "row": 3,
                "account": account_for_role("loan_interest_income").code,
                "credit": "1.500.000",
            },
            {"row": 4, "account": account_for_role("reserve").code, "credit": "8.500.000"},
        ],
    )
    return {"mi": mi, "m1": m1, "m2": m2, "m3": m3, "by": by}


def _close_year(by):
    loans_arrears_update(on=date(YEAR, 12, 31), by=by)
    for product in SavingsProduct.objects.filter(interest_enabled=True, interest_rate_annual__gt=0):
        savings_interest_accrue(product=product, year=YEAR, month=12, by=by)
    for p in Period.objects.filter(fiscal_year__year=YEAR, status="open").order_by("month"):
        period_close(period=p, by=by)
    return yearend_close(year=YEAR, by=by)


def test_jua_counts_the_jasa_paid_in_the_old_books_before_the_cutover(moved_in):
    mi, by = moved_in["mi"], moved_in["by"]
    m1, m2, m3 = moved_in["m1"], moved_in["m2"], moved_in["m3"]
    saved = shu_contributions_post(
        move_in=mi,
        by=by,
        rows=[
            {"row": 2, "member_number": m1.number, "jasa": "1.200.000"},
            {"row": 3, "member_number": m2.number, "jasa": "300.000"},
            {"row": 4, "member_number": m3.number, "jasa": "0"},
        ],
    )
    assert saved == {"year": YEAR, "members": 2, "total": D("1500000")}
    move_in_go_live(move_in=mi, by=by)
    for m in (m1, m2, m3):
        _deposit(m, "pokok", "100000", date(YEAR, 7, 10), by)
    ye = _close_year(by)
    assert ye.shu_after_tax == D("1500000")  # the old books' months are in the year
    p = shu_preview(year=YEAR)
    rows = {r.member_id: r for r in p.allocation.shares}
    assert rows[m1.pk].contribution == D("1200000")
    assert rows[m2.pk].contribution == D("300000")
    assert rows[m3.pk].contribution == 0
    pool = p.split.funds["jasa_anggota"]
    assert pool == D("375000") and p.to_reserve["jasa_anggota"] == 0
    assert (rows[m1.pk].jua, rows[m2.pk].jua, rows[m3.pk].jua) == (D("300000"), D("75000"), 0)


def test_contributions_rows_refused_as_a_whole(moved_in):
    mi, by, m1 = moved_in["mi"], moved_in["by"], moved_in["m1"]
    late = f.member(full_name="Baru", join_date=date(YEAR, 8, 1))
    # left before the year began: not in the year's SHU, so its jasa would count nowhere
    gone = f.member(full_name="Lama", join_date=date(YEAR - 5, 1, 2))
    member_status_set(
        member=gone, status="resigned", on=date(YEAR - 1, 12, 31), reason="uji", by=by
    )
    with pytest.raises(ApplicationError) as e:
        shu_contributions_post(
            move_in=mi,
            by=by,
            rows=[
                {"row": 2, "member_number": m1.number, "jasa": "100.000"},
                {"row": 3, "member_number": m1.number, "jasa": "5"},
                {"row": 4, "member_number": "X-404", "jasa": "5"},
                {"row": 5, "member_number": late.number, "jasa": "5"},
                {"row": 6, "member_number": moved_in["m2"].number, "jasa": "1.000,50"},
                {"row": 7, "member_number": moved_in["m3"].number, "jasa": "(1.000)"},
                {"row": 8, "member_number": gone.number, "jasa": "50.000"},
            ],
        )
    assert e.value.code == "onboarding_rows_invalid"
    assert [r["row"] for r in e.value.fields["rows"]] == [3, 4, 5, 6, 7, 8]
    assert "sebelum tahun buku" in e.value.fields["rows"][-1]["message"]
    assert not JasaPaidBroughtIn.objects.exists()


def test_sent_again_replaces_and_the_undo_removes_them(moved_in, staff):
    mi, by, m1 = moved_in["mi"], moved_in["by"], moved_in["m1"]
    row = {"row": 2, "member_number": m1.number}
    shu_contributions_post(move_in=mi, by=by, rows=[{**row, "jasa": "100.000"}])
    shu_contributions_post(move_in=mi, by=by, rows=[{**row, "jasa": "250.000"}])
    assert list(JasaPaidBroughtIn.objects.values_list("member_id", "year", "amount")) == [
        (m1.pk, YEAR, D("250000"))
    ]
    move_in_undo(move_in=mi, reason="salah tanggal", by=staff["admin"])
    assert not JasaPaidBroughtIn.objects.exists()


def test_jua_from_the_jasa_uploaded_on_the_wizard_screen(moved_in):
    """The treasurer's path: the template's file uploaded on /pindah/, the year closed,
    the SHU shares the jasa anggota pool by it; afterwards the list can no longer change."""
    from django.test import Client

    from tests.onboarding.helpers import upload_and_confirm
    from tests.onboarding.test_screens import csv_file

    mi, by = moved_in["mi"], moved_in["by"]
    m1, m2, m3 = moved_in["m1"], moved_in["m2"], moved_in["m3"]
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    text = (
        "no anggota;nama;jasa dibayar\n"
        f"{m1.number};Satu;900.000\n{m2.number};Dua;600.000\n{m3.number};Tiga;0\n"
    )
    # the step's button shows the preview; its confirm saves
    r = upload_and_confirm(
        c, {"action": "shu_contributions", "move_in": mi.pk, "file": csv_file(text, "jasa.csv")}
    )
    page = r.content.decode()
    assert "2 anggota, total jasa Rp 1.500.000." in page
    # beside it, for comparison, the jasa income the opening trial balance brought in
    assert "Pendapatan jasa pinjaman di neraca saldo awal: Rp 1.500.000." in page
    move_in_go_live(move_in=mi, by=by)
    for m in (m1, m2, m3):
        _deposit(m, "pokok", "100000", date(YEAR, 7, 10), by)
    _close_year(by)
    p = shu_preview(year=YEAR)
    rows = {r.member_id: r for r in p.allocation.shares}
    assert p.split.funds["jasa_anggota"] == D("375000")
    # 375.000 shared 900.000 : 600.000 : 0
    assert (rows[m1.pk].jua, rows[m2.pk].jua, rows[m3.pk].jua) == (D("225000"), D("150000"), 0)
    # the year is closed: the list stays as the SHU read it
    r = c.post(
        "/pindah/",
        {"action": "shu_contributions", "move_in": mi.pk, "file": csv_file(text, "jasa.csv")},
        follow=True,
    )
    assert f"Tahun buku {YEAR} sudah ditutup" in r.content.decode()
    assert sorted(JasaPaidBroughtIn.objects.values_list("amount", flat=True)) == [
        D("600000"),
        D("900000"),
    ]
