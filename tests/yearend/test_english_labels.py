"""The year end in English: the SHU split's funds on the preview page and in the RAT
pack, and the loan grades of the RAT pack, are translated like the rest of the page."""

from django.test import Client
from django.utils import translation

from core.yearend.rat import rat_pack_tables
from core.yearend.services import yearend_close
from tenants.services import tenant_host

from .conftest import YEAR

FUNDS_ID = (
    "Jasa modal (anggota)",
    "Jasa anggota / usaha (anggota)",
    "Cadangan",
    "Dana pengurus",
    "Dana pendidikan",
    "Dana karyawan",
    "Dana pembangunan daerah kerja",
    "Dana sosial",
)
FUNDS_EN = (
    "Capital share (members)",
    "Patronage share (members)",
    "Reserve",
    "Board fund",
    "Education fund",
    "Staff fund",
    "Work-area development fund",
    "Social fund",
)


def test_shu_preview_page_in_english_names_the_funds_in_english(tenant_a, ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    c.cookies["django_language"] = "en"
    body = c.get(f"/tutup-buku/{YEAR}/pratinjau/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in body
    assert [w for w in FUNDS_ID if f"<td>{w}</td>" in body] == []
    assert [w for w in FUNDS_EN if f"<td>{w}</td>" not in body] == []


def test_shu_preview_page_in_indonesian_keeps_the_indonesian_names(tenant_a, ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    body = c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    assert [w for w in FUNDS_ID if f"<td>{w}</td>" not in body] == []


def _index(tables, title_start: str) -> int:
    return next(i for i, t in enumerate(tables) if str(t["title"]).startswith(title_start))


def test_rat_pack_in_english_names_funds_loan_grades_and_npl_band_in_english(ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    tables_id = rat_pack_tables(year=YEAR)
    split_at, kolek_at = _index(tables_id, "Pembagian SHU"), _index(tables_id, "Kolektibilitas")
    with translation.override("en"):
        tables = rat_pack_tables(year=YEAR)
        split = [str(r["cells"][1]) for r in tables[split_at]["rows"]]
        kolek = [str(r["cells"][1]) for r in tables[kolek_at]["rows"] if r["kind"] == "row"]
    assert [w for w in FUNDS_EN if w not in split] == []
    assert [w for w in FUNDS_ID if w in split] == []
    grades, npl = kolek[:-1], kolek[-1]
    # each grade with its band of days past due, in English too: "Substandard (91–180 days)"
    assert all(g.endswith(" days)") for g in grades), grades
    grades = [g.split(" (")[0] for g in grades]
    assert grades and set(grades) <= {
        "Current",
        "Special mention",
        "Substandard",
        "Doubtful",
        "Loss",
    }
    assert npl.startswith("NPL") and npl.endswith(
        ("(Healthy)", "(Fairly healthy)", "(Less healthy)", "(Unhealthy)")
    ), npl
