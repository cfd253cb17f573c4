"""Where the rounding leaves units of a members' pool, they are handed one each to the
largest fractions (ties: lowest member number): the per-member SHU preview XLSX and the
member portal's SHU page say so with the RAT pack's note (``rat.remainder_notes``), and
only where a leftover was handed out."""

from datetime import date
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.ledger.services import fiscal_year_ensure
from core.yearend.rat import remainder_notes
from core.yearend.selectors import shu_preview
from core.yearend.services import shu_post, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import REMAINDER_NOTE, YEAR, _deposit, close_preliminaries, year_result_post

NOTE = REMAINDER_NOTE
RAT = date(YEAR + 1, 3, 1)
HANDED = "dengan pecahan terbesar"


@pytest.fixture
def even_year(staff):
    """Two members with pokok 100,000 each, Rp 8 other income: jasa modal Rp 2, one each,
    nothing left to hand out. Closed."""
    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    members = [f.member(full_name=n) for n in ("Satu", "Dua")]
    for m in members:
        _deposit(m, "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(by, "8")
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    p = shu_preview(year=YEAR)
    rows = [(r.capital, r.contribution, r.jma, r.jua) for r in p.allocation.shares]
    assert remainder_notes(rows=rows, unit=p.split.unit) == {}
    return {"members": members, "by": by}


def _client(tenant, user) -> Client:
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    return c


def _xlsx_cells(c: Client) -> list:
    r = c.get(f"/tutup-buku/{YEAR}/pratinjau/?format=xlsx")
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    return [cell.value for row in ws.iter_rows() for cell in row]


def _portal(tenant, member) -> str:
    user = f.user("anggota")
    member.user = user
    member.save(update_fields=["user"])
    r = _client(tenant, user).get("/portal/shu/")
    assert r.status_code == 200
    return r.content.decode()


def test_the_preview_xlsx_says_where_the_leftover_went(seven_rupiah_year, tenant_a, staff):
    cells = _xlsx_cells(_client(tenant_a, staff["bendahara"]))
    assert NOTE in cells, [c for c in cells if isinstance(c, str)]


def test_the_preview_xlsx_says_it_in_english(seven_rupiah_year, tenant_a, staff):
    c = _client(tenant_a, staff["bendahara"])
    c.cookies["django_language"] = "en"
    cells = [c for c in _xlsx_cells(c) if isinstance(c, str)]
    assert any("largest fractions" in c for c in cells), cells


def test_the_preview_xlsx_has_no_note_without_a_leftover(even_year, tenant_a, staff):
    cells = _xlsx_cells(_client(tenant_a, staff["bendahara"]))
    assert not any(isinstance(c, str) and HANDED in c for c in cells)


def test_the_member_portal_says_where_the_leftover_went(seven_rupiah_year, tenant_a):
    shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=seven_rupiah_year["by"])
    m1, _m2, m3 = seven_rupiah_year["members"]
    assert NOTE in _portal(tenant_a, m3)  # Rp 0 of it: the page says why the others had 1


def test_the_member_portal_has_no_note_without_a_leftover(even_year, tenant_a):
    shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=even_year["by"])
    page = _portal(tenant_a, even_year["members"][0])
    assert f"Tahun buku {YEAR}" in page
    assert HANDED not in page
