"""The agency's return file saved by Excel on Indonesian Windows as plain "CSV" is
Windows-1252, not UTF-8: it is read (after UTF-8 fails), the preview says so and lists
every cell with a letter outside ASCII to check, and every amount is read exactly as from
the same file in UTF-8."""

import codecs
import io

import pytest

from core.deductions import selectors
from core.deductions.services import (
    deduction_import_plan,
    deduction_import_post,
    deduction_import_upload,
)

from .conftest import login


@pytest.fixture
def month(coop, cutoffs):
    from .conftest import make_run

    return coop, make_run(on=cutoffs[1], by=coop["by"])


def return_file(coop, encoding: str) -> bytes:
    m1, m2, m3 = coop["m"][:3]
    lines = [
        "Realisasi Potong Gaji – Dinas Pendidikan",  # an en dash: 0x96 in Windows-1252
        "NIP;Nama;Jumlah",
        f"{m1.nip};Sitì Ñurhayati;Rp\u00a0250.000",  # a no-break space: 0xA0
        f"{m2.nip};Budi Santoso;1.250.000",
        f"{m3.nip};André Siregar;250.000,-",
    ]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(coop, run, content):
    return deduction_import_upload(
        run=run, agency=coop["agencies"][0], content=content, file_name="r.csv", by=coop["by"]
    )


def test_windows_1252_return_file_is_read_like_the_utf8_one_and_the_preview_says_so(month):
    coop, run = month
    ansi = return_file(coop, "cp1252")
    with pytest.raises(UnicodeDecodeError):
        ansi.decode("utf-8")
    imp_u = upload(coop, run, return_file(coop, "utf-8"))
    imp_w = upload(coop, run, ansi)
    assert imp_w.status == imp_u.status == "valid", (imp_w.errors, imp_w.file_errors)
    # the same realized amounts, rows, warnings and rows read differently from written
    assert imp_w.rows == imp_u.rows
    assert [r["amount"] for r in imp_w.rows] == ["250000", "1250000", "250000"]
    assert imp_w.total_realized == imp_u.total_realized
    assert imp_w.errors == imp_u.errors == []
    for key in ("warnings", "file_warnings"):
        assert imp_w.posted_data[key] == imp_u.posted_data[key]
    # the same allocation preview and totals
    plans_w, totals_w = selectors.plan_preview(deduction_import_plan(imp_w))
    plans_u, totals_u = selectors.plan_preview(deduction_import_plan(imp_u))
    assert totals_w == totals_u
    assert [(p.line.pk, p.realized, p.paid, p.to_sukarela) for p in plans_w] == [
        (p.line.pk, p.realized, p.paid, p.to_sukarela) for p in plans_u
    ]
    # said, with every cell holding a letter outside ASCII
    assert imp_w.posted_data["encoding"] == "windows-1252"
    assert imp_w.posted_data["non_ascii"] == [
        {"row": 1, "column": "A", "text": "Realisasi Potong Gaji – Dinas Pendidikan"},
        {"row": 3, "column": "Nama", "text": "Sitì Ñurhayati"},
        {"row": 3, "column": "Jumlah", "text": "Rp\u00a0250.000"},
        {"row": 5, "column": "Nama", "text": "André Siregar"},
    ]
    assert "encoding" not in imp_u.posted_data and "non_ascii" not in imp_u.posted_data

    c = login(coop["by"])
    html = c.get(f"/potong-gaji/impor/{imp_w.pk}/").content.decode()
    assert "Windows-1252" in html
    assert "Sitì Ñurhayati" in html and "André Siregar" in html and "Gaji – Dinas" in html
    assert "Windows-1252" not in c.get(f"/potong-gaji/impor/{imp_u.pk}/").content.decode()

    api_w = c.get(f"/api/v1/deductions/imports/{imp_w.pk}/").json()
    api_u = c.get(f"/api/v1/deductions/imports/{imp_u.pk}/").json()
    assert api_w["encoding"] == "windows-1252" and api_u["encoding"] is None
    assert api_w["non_ascii"] == imp_w.posted_data["non_ascii"] and api_u["non_ascii"] == []
    assert api_w["preview"] == api_u["preview"]
    assert api_w["total_realized"] == api_u["total_realized"]
    assert api_w["changed_rows"] == api_u["changed_rows"]

    # posting keeps the note; the journal books the same total
    deduction_import_post(imp=imp_w, by=coop["by"])
    imp_w.refresh_from_db()
    assert imp_w.status == "posted" and imp_w.posted_data["encoding"] == "windows-1252"
    assert imp_w.total_realized == imp_u.total_realized
    assert "Windows-1252" in c.get(f"/potong-gaji/impor/{imp_w.pk}/").content.decode()


def test_windows_1252_upload_through_the_api_says_so(month):
    coop, run = month
    c = login(coop["by"])
    f = io.BytesIO(return_file(coop, "cp1252"))
    f.name = "r.csv"
    r = c.post(
        f"/api/v1/deductions/runs/{run.pk}/imports/", {"agency": coop["agencies"][0].pk, "file": f}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "valid" and body["encoding"] == "windows-1252"
    assert {"row": 3, "column": "Nama", "text": "Sitì Ñurhayati"} in body["non_ascii"]


def test_bytes_windows_1252_lacks_are_still_refused(month):
    coop, run = month
    m1 = coop["m"][0]
    # 0x81 has no character in Windows-1252; a UTF-8 BOM before bytes that are not UTF-8
    # is a damaged file, not a Windows one
    for content in (
        f"NIP;Nama;Jumlah\n{m1.nip};A\x81b;1000\n".encode("latin-1"),
        codecs.BOM_UTF8 + f"NIP;Nama;Jumlah\n{m1.nip};Sitì;1000\n".encode("cp1252"),
    ):
        imp = upload(coop, run, content)
        assert imp.status == "invalid" and imp.rows == []
        assert "Pengodean berkas salah" in imp.file_errors[0]["message"]
        assert "encoding" not in imp.posted_data


def test_a_long_list_of_cells_to_check_is_cut_and_counted():
    from core.deductions.parsing import MAX_NON_ASCII_SHOWN, parse_realized

    n = MAX_NON_ASCII_SHOWN + 20
    body = "NIP;Nama;Jumlah\n" + "".join(
        f"198001012005011{i:03d};Sitì {i};1.000\n" for i in range(1, n + 1)
    )
    parsed = parse_realized(content=body.encode("cp1252"), file_name="r.csv")
    assert parsed.file_errors == [] and len(parsed.rows) == n
    assert all(r.amount == 1000 and not r.error for r in parsed.rows)
    assert parsed.encoding == "windows-1252" and parsed.non_ascii_count == n
    assert len(parsed.non_ascii) == MAX_NON_ASCII_SHOWN
    assert parsed.non_ascii[0] == {"row": 2, "column": "Nama", "text": "Sitì 1"}
    same = parse_realized(content=body.encode(), file_name="r.csv")
    assert same.encoding == "" and same.non_ascii == [] and same.non_ascii_count == 0
    assert [(r.nip, r.amount) for r in same.rows] == [(r.nip, r.amount) for r in parsed.rows]
