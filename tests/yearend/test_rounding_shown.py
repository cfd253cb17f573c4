"""What the rounding leaves goes to cadangan, and the figures say so: a year whose SHU
after tax is Rp 12.345.678 split by the default AD/ART percentages with members' shares
rounded to multiples of Rp 1.000. Hand-computed:

- the split (largest remainder over the percentages): jasa modal 3.086.419, jasa
  anggota 3.086.419, cadangan 2.469.136, pengurus 1.234.568, pendidikan 1.234.568,
  karyawan 617.284, pembangunan 308.642, sosial 308.642 (sum 12.345.678);
- the members' pools to multiples of 1.000: 3.086.000 each, Rp 419 + 419 = 838 to
  cadangan; nobody paid loan jasa, so the jasa anggota pool (3.086.000) goes to cadangan
  too: cadangan 2.469.136 + 838 + 3.086.000 = 5.555.974;
- JMA: capital 1.000.000 and 100.000 share 3.086 units of 1.000: 2.805,45 and 280,54 →
  2.805 and 281 (the larger remainder): Rp 2.805.000 and Rp 281.000.

Before, the Rp 838 went to cadangan without a word: the preview, the API, the XLSX and
the RAT pack showed jasa modal 25% as 3.086.000 and cadangan 20% as 5.555.974 with only
the note on the unclaimed jasa anggota pool."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.yearend.models import MemberShare
from core.yearend.rat import rat_pack_tables
from core.yearend.selectors import shu_preview
from core.yearend.services import shu_post, shu_settings_set, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries, year_result_post

D = Decimal
RAT = date(YEAR + 1, 3, 1)
NOTE = (
    "Cadangan termasuk sisa pembulatan Rp 838: bagian anggota dibulatkan ke kelipatan "
    "Rp 1.000 (dari jasa modal Rp 419, dari jasa anggota Rp 419)."
)


@pytest.fixture
def odd_year(staff):
    from core.ledger.services import fiscal_year_ensure

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    m1, m2 = f.member(full_name="Besar"), f.member(full_name="Kecil")
    _deposit(m1, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m1, "wajib", "900000", date(YEAR, 1, 10), by)
    _deposit(m2, "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(by, "12345678")
    shu_settings_set(year=YEAR, by=by, rounding_unit="1000")
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    return {"m1": m1, "m2": m2, "by": by}


def _client(tenant, user):
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    return c


def _rat_allocation_rows(year):
    table = next(t for t in rat_pack_tables(year=year) if "Pembagian SHU" in str(t["title"]))
    return [r["cells"] for r in table["rows"]]


def _check_figures(preview, m1, m2):
    assert preview.year_end.shu_after_tax == D("12345678")
    assert preview.funds == {
        "jasa_modal": D("3086000"),
        "jasa_anggota": D("0"),
        "cadangan": D("5555974"),
        "pengurus": D("1234568"),
        "pendidikan": D("1234568"),
        "karyawan": D("617284"),
        "pembangunan": D("308642"),
        "sosial": D("308642"),
    }
    rows = {r.member_id: r for r in preview.allocation.shares}
    assert (rows[m1.pk].jma, rows[m2.pk].jma) == (D("2805000"), D("281000"))


def test_the_rounding_to_cadangan_is_shown_in_the_draft(odd_year, tenant_a, staff):
    m1, m2 = odd_year["m1"], odd_year["m2"]
    preview = shu_preview(year=YEAR)
    _check_figures(preview, m1, m2)
    assert preview.split.rounded == {"jasa_modal": D("419"), "jasa_anggota": D("419")}

    c = _client(tenant_a, staff["bendahara"])
    page = c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    assert NOTE in page
    api = c.get(f"/api/v1/yearend/{YEAR}/preview/").json()
    assert api["rounding_to_cadangan"] == {
        "jasa_modal": "419.00",
        "jasa_anggota": "419.00",
        "sen": "0.00",
    }
    xlsx = c.get(f"/tutup-buku/{YEAR}/pratinjau/?format=xlsx").content
    cells = [c.value for row in load_workbook(BytesIO(xlsx)).active.iter_rows() for c in row]
    assert NOTE in cells
    assert ["", NOTE, "", ""] in _rat_allocation_rows(YEAR)


def test_the_rounding_to_cadangan_is_shown_once_posted(odd_year, tenant_a, staff):
    m1, m2 = odd_year["m1"], odd_year["m2"]
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="02/RAT", by=odd_year["by"])
    assert D(ye.funds["cadangan"]) == D("5555974")
    shares = {s.member_id: s.total for s in MemberShare.objects.filter(year_end=ye)}
    assert shares == {m1.pk: D("2805000"), m2.pk: D("281000")}
    _check_figures(shu_preview(year=YEAR), m1, m2)

    c = _client(tenant_a, staff["bendahara"])
    assert NOTE in c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    assert c.get(f"/api/v1/yearend/{YEAR}/preview/").json()["rounding_to_cadangan"] == {
        "jasa_modal": "419.00",
        "jasa_anggota": "419.00",
        "sen": "0.00",
    }
    assert ["", NOTE, "", ""] in _rat_allocation_rows(YEAR)


def test_the_member_sees_why_the_pool_is_less_than_its_percentage(odd_year, tenant_a):
    """The portal shows jasa modal (25% of Rp 12.345.678 = 3.086.419,50) as Rp 3.086.000:
    it says where the rest went."""
    shu_post(year=YEAR, rat_date=RAT, rat_decision="02/RAT", by=odd_year["by"])
    user = f.user("anggota")
    m1 = odd_year["m1"]
    m1.user = user
    m1.save(update_fields=["user"])
    c = _client(tenant_a, user)
    html = c.get("/portal/shu/").content.decode()
    assert "Rp 3.086.000" in html and "Rp 2.805.000" in html
    assert NOTE in html
