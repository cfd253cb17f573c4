"""A practice copy ("Ruang latihan") is never the Dinas' business: even placed in the
pembina's area with figures stored and marked as sharing (which the refresh never does,
tests/tenants/test_practice.py), it is in no table, total, regency list, file or
profile."""

import io
from datetime import date

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from lumbung.dinas.models import Indicator, SharingState, YearFigures
from tenants.models import Cooperative

from .conftest import PROVINCE, verified_client

pytestmark = pytest.mark.django_db


def test_a_practice_copy_is_on_no_dinas_page_or_file(pembina_prov, shared_both):
    a, _b = shared_both
    now = timezone.now()
    # only the public row matters to the Dinas: no schema (saving a tenant row would
    # otherwise make one by running every tenant migration, most of this test's time)
    copy = Cooperative(
        slug=f"{a.slug}-latihan",
        name="KPRI Latihan Tersembunyi",
        schema_name=f"{a.schema_name}_latihan_uji",
        province=PROVINCE,
        regency="Kabupaten Latihan",
        status="active",
        is_practice=True,
        practice_of=a,
    )
    copy.auto_create_schema = False
    copy.save()
    SharingState.objects.create(cooperative=copy, shared=True, refreshed_at=now)
    Indicator.objects.create(
        cooperative=copy,
        month=date.today().replace(day=1),
        latest=True,
        figures_at=now,
        members_active=999,
        total_assets=10**9,
    )
    YearFigures.objects.create(cooperative=copy, year=date.today().year - 1, figures_at=now)
    client = verified_client(pembina_prov.user)
    client.raise_request_exception = False
    page = client.get("/dinas/")
    body = page.content.decode()
    assert copy.name not in body and "Kabupaten Latihan" not in body
    assert page.context["totals"]["count"] == 2
    assert page.context["totals"]["members_active"] < 999
    for resp in (
        client.get("/dinas/", {"format": "xlsx"}),
        client.get("/dinas/kementerian/"),
    ):
        book = load_workbook(io.BytesIO(resp.content))
        cells = " ".join(
            str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row
        )
        assert copy.name not in cells
    assert client.get(f"/dinas/koperasi/{copy.pk}/").status_code == 404
    assert client.get(f"/dinas/koperasi/{copy.pk}/kementerian/").status_code == 404
