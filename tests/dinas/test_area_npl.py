"""The area NPL is the area's non-performing loans over its loans outstanding, summed in
rupiah over the cooperatives, rounded (half up, to 2 decimals) only for display; never
a weighted average of each cooperative's ratio as stored (2 decimals), which can be off
by up to 0.01 point.

A (Kapuas): 30.000.000 outstanding, of which 3.001.470 Macet: 10,0049 % (shown 10,00).
B (Kotawaringin Barat): 10.000.000 outstanding, of which 2.001.000 Macet: 20,01 %.
The area: 5.002.470 of 40.000.000 = 12,506175 %, shown 12,51; weighting the stored
ratios gives 3.000.000 + 2.001.000 = 5.001.000, 12,5025 %, shown 12,50."""

import importlib
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from lumbung.dinas.models import Indicator
from tests.members import factories as f
from tests.portal.conftest import books_open_back_to

from .conftest import consent, make_pembina, refresh, verified_client
from .test_figures_agree import _loan, _product, _staff

pytestmark = [pytest.mark.django_db]
D = Decimal


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _book(coop, code: str, performing: str, macet: str) -> None:
    """Two loans disbursed five days ago; the second one graded Macet. Five days ago may be
    last year (in the first days of January): the books are opened back to it."""
    from core.loans.models import Loan

    connection.set_tenant(coop)
    try:
        staff = _staff()
        product = _product(code)
        on = timezone.localdate() - timedelta(days=5)
        books_open_back_to(on.year)
        m1 = f.member(take_home_pay=D("50000000"))
        m2 = f.member(take_home_pay=D("50000000"))
        _loan(m1, product, performing, 24, on, staff)
        bad = _loan(m2, product, macet, 24, on, staff)
        Loan.objects.filter(pk=bad.pk).update(kolektibilitas="macet")
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def area(placed):
    a, b = placed
    _book(a, "NA", "26998530", "3001470")
    _book(b, "NB", "7999000", "2001000")
    consent(a)
    consent(b)
    refresh(a, b)
    return a, b


def _area_text(client) -> str:
    html = client.get("/dinas/").content.decode()
    section = html.split('id="area-totals"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def test_the_area_npl_is_the_sum_of_amounts_not_the_stored_ratios_weighted(area, pembina_prov):
    a, b = area
    ia = Indicator.objects.get(cooperative=a, latest=True)
    ib = Indicator.objects.get(cooperative=b, latest=True)
    assert (ia.loans_outstanding, ia.npl_ratio) == (D("30000000"), D("10.00"))
    assert (ib.loans_outstanding, ib.npl_ratio) == (D("10000000"), D("20.01"))
    client = verified_client(pembina_prov.user)
    totals = client.get("/dinas/").context["totals"]
    assert totals["npl_ratio"] == D("12.51")  # weighting the stored ratios: 12,50
    assert (ia.npl_outstanding, ib.npl_outstanding) == (D("3001470"), D("2001000"))
    assert totals["npl_outstanding"] == D("5002470")
    body = _area_text(client)
    assert "NPL: 12,51%" in body
    # the rounding is stated beside the figure
    assert "dibulatkan ke 2 desimal" in body
    # the XLSX: the amounts, and its totals row gives the same area ratio
    ws = load_workbook(
        io.BytesIO(client.get("/dinas/", {"format": "xlsx", "sort": "name"}).content)
    ).active
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[0])
    total = rows[-1]
    assert total[headers.index("Pinjaman bermasalah (NPL)")] == D("5002470")
    assert D(str(total[headers.index("NPL (%)")])) == D("12.51")  # openpyxl reads a float
    # a ratio cell is written as a percentage with its decimals, not as whole rupiah
    npl_col = headers.index("NPL (%)") + 1
    assert ws.cell(row=len(rows), column=npl_col).number_format == "0.00"
    # the Kapuas officer's area is A alone
    kapuas = verified_client(make_pembina("kapuas-npl@dinas.test", regency=a.regency).user)
    assert kapuas.get("/dinas/").context["totals"]["npl_ratio"] == D("10.00")


def test_rows_stored_before_the_amount_was_kept_are_estimated_until_the_next_refresh(
    area, pembina_prov
):
    """The migration derives the amount of an existing row from its ratio (it cannot be
    exact) and marks it; the page says the area NPL is approximate until the next
    refresh, which stores the exact amount."""
    backfill = importlib.import_module(
        "lumbung.dinas.migrations.0004_indicator_npl_outstanding"
    ).backfill
    a, b = area
    Indicator.objects.filter(cooperative__in=[a, b]).update(npl_outstanding=0, npl_estimated=False)
    backfill(apps, connection.schema_editor())
    ia = Indicator.objects.get(cooperative=a, latest=True)
    ib = Indicator.objects.get(cooperative=b, latest=True)
    # 10,00 % of 30.000.000 and 20,01 % of 10.000.000
    assert (ia.npl_outstanding, ia.npl_estimated) == (D("3000000"), True)
    assert (ib.npl_outstanding, ib.npl_estimated) == (D("2001000"), True)
    client = verified_client(pembina_prov.user)
    totals = client.get("/dinas/").context["totals"]
    assert totals["npl_ratio"] == D("12.50") and totals["npl_estimated"] == 2
    assert "2 koperasi" in _area_text(client) and "penyegaran berikutnya" in _area_text(client)
    refresh(a, b)
    totals = client.get("/dinas/").context["totals"]
    assert totals["npl_ratio"] == D("12.51") and totals["npl_estimated"] == 0
    assert "penyegaran berikutnya" not in _area_text(client)
