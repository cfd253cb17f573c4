"""The year end's API (/api/v1/yearend/…) and screens (/tutup-buku/…): roles, errors
as one JSON shape, the flow through HTTP, the OpenAPI schema, the XLSX preview."""

import copy
import io

import pytest

from .conftest import YEAR


@pytest.fixture
def staff(year_once, in_tenant_a):
    """The module's staff (``year_once``: built once for the module, never committed),
    copied for the test."""
    return copy.deepcopy(year_once["staff"])


@pytest.fixture
def year_data(year_once, staff):
    """The module's 2025 (``year_once``), its objects copied for the test."""
    return copy.deepcopy(year_once["year"])


def test_settings_api_get_put_and_bad_percentages(client_as):
    c = client_as("bendahara")
    r = c.get(f"/api/v1/yearend/{YEAR}/settings/")
    assert r.status_code == 200 and r.json()["pct_jasa_modal"] == "25.00"
    r = c.put(
        f"/api/v1/yearend/{YEAR}/settings/",
        {"pct_jasa_modal": "30"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "shu_percentages_not_100"
    r = c.put(
        f"/api/v1/yearend/{YEAR}/settings/",
        {"pct_jasa_modal": "30", "pct_cadangan": "15", "payout_method": "sukarela"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["payout_method"] == "sukarela"
    r = client_as("pengawas").put(
        f"/api/v1/yearend/{YEAR}/settings/", {}, content_type="application/json"
    )
    assert r.status_code == 403


def test_preview_of_unclosed_year_is_a_json_error(client_as, year_data):
    r = client_as("bendahara").get(f"/api/v1/yearend/{YEAR}/preview/")
    assert r.status_code == 400 and r.json()["error"]["code"] == "year_not_closed"


def test_flow_through_the_api(client_as, ready):
    c = client_as("bendahara")
    r = c.get(f"/api/v1/yearend/{YEAR}/checklist/")
    assert r.json()["ready"] is True
    r = c.post(f"/api/v1/yearend/{YEAR}/close/")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "closed"
    r = c.get(f"/api/v1/yearend/{YEAR}/preview/?sort=-total")
    body = r.json()
    assert body["members"][0]["member_id"] == ready["m1"].pk
    assert sum(int(float(m["jma"])) for m in body["members"]) == int(
        float(body["funds"]["jasa_modal"])
    )
    r = c.post(
        f"/api/v1/yearend/{YEAR}/post/",
        {"rat_date": f"{YEAR + 1}-03-01", "rat_decision": "01/RAT"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = c.post(
        f"/api/v1/yearend/{YEAR}/post/",
        {"rat_date": f"{YEAR + 1}-03-01", "rat_decision": "01/RAT"},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "shu_already_posted"
    r = c.post(
        f"/api/v1/yearend/{YEAR}/payout/",
        {"method": "cash", "items": [{"member_id": ready["m1"].pk}]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["paid"][0]["receipt_number"]
    r = c.get(f"/api/v1/yearend/{YEAR}/shares/?member={ready['m1'].pk}")
    row = r.json()[0]
    assert row["paid"] == row["total"] and row["unpaid"] == "0.00"
    r = client_as("bendahara").post(
        f"/api/v1/yearend/{YEAR}/reopen/", {"reason": "x"}, content_type="application/json"
    )
    assert r.status_code == 403


def test_openapi_schema_lists_the_year_end(client_as):
    r = client_as("admin").get("/api/schema/")
    text = r.content.decode()
    for path in ("settings", "checklist", "close", "reopen", "preview", "post", "payout", "shares"):
        assert f"/api/v1/yearend/{{year}}/{path}/" in text


def test_pages_and_xlsx(client_as, ready):
    c = client_as("bendahara")
    r = c.get(f"/tutup-buku/{YEAR}/")
    assert r.status_code == 200 and "/buku-besar/periode/" in r.content.decode()
    r = c.post(f"/tutup-buku/{YEAR}/", {"action": "close"})
    assert r.status_code == 302
    r = c.get(f"/tutup-buku/{YEAR}/pratinjau/?sort=-jma")
    assert r.status_code == 200 and ready["m1"].full_name in r.content.decode()
    r = c.get(f"/tutup-buku/{YEAR}/pratinjau/?format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    assert any(row[0].value == ready["m1"].number for row in ws.iter_rows())
    # pengawas reads but cannot close
    p = client_as("pengawas")
    assert p.get(f"/tutup-buku/{YEAR}/").status_code == 200
    assert p.post(f"/tutup-buku/{YEAR}/", {"action": "reopen", "reason": "x"}).status_code == 403
    # the settings form refuses bad percentages with a message, nothing saved
    r = c.post(
        f"/tutup-buku/{YEAR + 1}/",
        {"action": "settings", "pct_jasa_modal": "99", "capital_basis": "year_end"},
        follow=True,
    )
    assert "100" in r.content.decode()


def test_payout_receipt_pdf(client_as, ready, staff):
    from datetime import date

    from core.yearend.services import shu_payout, shu_post, yearend_close

    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="03/RAT", by=by)
    [p] = shu_payout(
        year=YEAR, items=[(ready["m1"].pk, None)], method="cash", by=by, on=date(YEAR + 1, 3, 2)
    )
    c = client_as("petugas")
    r = c.get(f"/tutup-buku/kuitansi/{p.pk}.pdf")
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    assert p.receipt_number in r["Content-Disposition"]
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/").content.decode()
    assert f"/tutup-buku/kuitansi/{p.pk}.pdf" in page
    assert c.get("/tutup-buku/kuitansi/999999.pdf").status_code == 404


def test_a_year_not_closed_yet_is_said_by_its_own_code_not_a_bare_not_found(client_as):
    """``GET /api/v1/yearend/<year>/`` of a year without its close answered the 404 of an
    unknown URL (``not_found``, "Data tidak ditemukan."): an integrator could not tell a
    wrong path from a year still open (found walking the API)."""
    r = client_as("bendahara").get(f"/api/v1/yearend/{YEAR}/")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "year_not_closed",
        "message": f"Tahun buku {YEAR} belum ditutup.",
        "fields": {},
    }
