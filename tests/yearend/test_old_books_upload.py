"""The old books' SHU list uploaded (XLSX or CSV) instead of pasted, with a preview:
each member's number, name and amounts, the total against SHU payable's balance naming
no member, every bad row named by its sheet row — nothing written until the treasurer
confirms under the preview. The template lists the members; the API previews too."""

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from core.ledger.models import JournalEntry
from core.yearend.models import MemberShare, YearEnd
from core.yearend.old_books import old_books_file_read
from tenants.services import tenant_host
from tests.members import factories as f
from tests.sheets import xlsx_bytes

D = Decimal
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _client(old_books, user=None) -> Client:
    c = Client(HTTP_HOST=tenant_host(old_books["tenant"].slug))
    c.force_login(user or old_books["by"])
    return c


def _upload(old_books, content: bytes, name: str, **extra):
    return _client(old_books).post(
        f"/tutup-buku/{old_books['year']}/",
        {
            "action": "old_books_preview",
            "rat_date": old_books["rat"].isoformat(),
            "rat_decision": "05/RAT/LAMA",
            "file": SimpleUploadedFile(name, content),
            **extra,
        },
        follow=True,
    )


def _nothing_written() -> bool:
    return (
        not JournalEntry.objects.filter(source="shu").exists()
        and not YearEnd.objects.exists()
        and not MemberShare.objects.exists()
    )


def test_an_xlsx_is_previewed_with_names_and_total_then_brought_in_on_confirm(old_books):
    m1, m2 = old_books["m"]
    content = xlsx_bytes(
        [
            ["Daftar SHU 2024 belum dibayar"],
            [],
            ["No.", "No. Anggota", "Nama", "Jasa Modal", "Jasa Usaha"],
            [1, m1.number, "Satu", 120000, "30.000"],
            [2, m2.number, "Dua", "Rp 100.000", None],
            [3, "A09999", "tanpa SHU", None, None],  # listed, no SHU: skipped
            ["JUMLAH", None, None, 220000, 30000],
        ]
    )
    r = _upload(old_books, content, "shu.xlsx")
    html = r.content.decode()
    assert r.status_code == 200 and 'id="old-books-preview"' in html
    assert "Satu" in html and "Dua" in html and m1.number in html
    assert "Rp 120.000" in html and "Rp 30.000" in html and "Rp 100.000" in html
    assert 'id="old-books-preview-total">Rp 250.000<' in html and "Rp 300.000" in html
    assert 'id="old-books-confirm"' in html and "tanpa SHU" not in html
    assert 'value="05/RAT/LAMA"' in html
    assert _nothing_written()  # a preview writes nothing

    confirm = _client(old_books).post(
        f"/tutup-buku/{old_books['year']}/",
        {
            "action": "old_books",
            "rat_date": old_books["rat"].isoformat(),
            "rat_decision": "05/RAT/LAMA",
            "rows": f"{m1.number};120000;30000\n{m2.number};100000;0",
        },
        follow=True,
    )
    assert "2 anggota, Rp 250.000" in confirm.content.decode()
    ye = YearEnd.objects.get(year=old_books["year"])
    assert {s.member_id: (s.jma, s.jua) for s in ye.shares.all()} == {
        m1.pk: (D("120000"), D("30000")),
        m2.pk: (D("100000"), D("0")),
    }


def test_the_confirmation_carries_the_previewed_list(old_books):
    """The rows the confirm form posts are the ones previewed, whole rupiah."""
    m1, m2 = old_books["m"]
    content = xlsx_bytes(
        [
            ["Nomor anggota", "Jasa modal", "Jasa usaha"],
            [m1.number, 1500.0, 0],
            [m2.number, 0, "2.000"],
        ]
    )
    html = _upload(old_books, content, "shu.xlsx").content.decode()
    assert f"{m1.number};1500;0\n{m2.number};0;2000</textarea>" in html


def test_a_csv_with_bad_rows_names_each_by_its_row_and_offers_no_confirmation(old_books):
    m1, m2 = old_books["m"]
    csv = (
        "Nomor anggota;Jasa modal;Jasa usaha\n"
        f"{m1.number};100.000;0\n"
        "TIDAK-ADA;5.000;0\n"
        f"{m2.number};-5;0\n"
        f"{m1.number};1;0\n"
        f"{m2.number};0;0\n"
    ).encode()
    html = _upload(old_books, csv, "shu.csv").content.decode()
    assert 'id="old-books-preview"' in html and 'id="old-books-confirm"' not in html
    assert "Baris 3: Anggota &#x27;TIDAK-ADA&#x27; tidak dikenal." in html
    assert 'id="old-books-bad-4"' in html and 'id="old-books-bad-5"' in html
    assert "sudah ada di baris 2" in html and "Rp 0" in html
    assert "Baris salah: 4." in html
    assert _nothing_written()


def test_a_list_over_the_unnamed_balance_is_shown_and_not_offered(old_books):
    m1, m2 = old_books["m"]
    content = xlsx_bytes(
        [
            ["Nomor anggota", "Jasa modal", "Jasa usaha"],
            [m1.number, 200000, 0],
            [m2.number, 100001, 0],
        ]
    )
    html = _upload(old_books, content, "shu.xlsx").content.decode()
    assert 'id="old-books-preview-exceeds"' in html and "Rp 300.001" in html
    assert 'id="old-books-confirm"' not in html and _nothing_written()


def test_files_that_cannot_be_read_say_so_in_indonesian_never_a_500(old_books):
    m1 = old_books["m"][0]
    cases = [
        (b"%PDF-1.4 bukan daftar", "shu.pdf", "Jenis berkas tidak didukung"),
        (b"PK\x03\x04 rusak", "shu.xlsx", "Berkas XLSX tidak dapat dibaca"),
        (
            xlsx_bytes([["Anggota", "Jumlah"], [m1.number, 1000]]),
            "shu.xlsx",
            "Judul kolom tidak ditemukan",
        ),
        (
            xlsx_bytes([["Nomor anggota", "Jasa modal", "Jasa usaha"], [m1.number, None, None]]),
            "shu.xlsx",
            "Daftar SHU di berkas ini kosong",
        ),
        (b"Nomor anggota,Jasa modal,Jasa usaha\nA1,100.000,00,0\n", "shu.csv", "Baris 2"),
    ]
    for content, name, said in cases:
        r = _upload(old_books, content, name)
        html = r.content.decode()
        assert r.status_code == 200 and said in html, (name, said)
        assert 'id="old-books-preview"' not in html
    assert _nothing_written()


def test_the_template_lists_the_members_and_reads_back_once_filled(old_books):
    m1, m2 = old_books["m"]
    c = _client(old_books)
    page = c.get(f"/tutup-buku/{old_books['year']}/").content.decode()
    assert 'id="old-books-template"' in page and 'enctype="multipart/form-data"' in page
    r = c.get(f"/tutup-buku/{old_books['year']}/shu-pembukuan-lama.xlsx")
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.active
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    header = rows.index(["Nomor anggota", "Nama", "Jasa modal", "Jasa usaha"])
    assert [m1.number, "Satu", None, None] in rows[header:]
    # filled for one member, the other left empty: one row read
    for row in ws.iter_rows(min_row=header + 2):
        if row[0].value == m2.number:
            row[2].value, row[3].value = 40000, 10000
    buf = io.BytesIO()
    wb.save(buf)
    got = old_books_file_read(content=buf.getvalue(), file_name="t.xlsx")
    assert [(g["member_number"], g["jma"], g["jua"]) for g in got] == [
        (m2.number, "40000", "10000")
    ]
    # the template downloaded in English reads the same
    english = xlsx_bytes(
        [["Member number", "Name", "Capital share", "Patronage share"], [m1.number, "", 5, 0]]
    )
    got = old_books_file_read(content=english, file_name="t.xlsx")
    assert [(g["member_number"], g["jma"], g["jua"]) for g in got] == [(m1.number, "5", "0")]


def test_the_api_previews_an_upload_and_writes_nothing(old_books):
    m1 = old_books["m"][0]
    c = _client(old_books)
    url = f"/api/v1/yearend/{old_books['year']}/old-books/preview/"
    content = xlsx_bytes(
        [["Nomor anggota", "Jasa modal", "Jasa usaha"], [m1.number, 250000, 0], ["X", 1, 0]]
    )
    r = c.post(url, {"file": SimpleUploadedFile("shu.xlsx", content)})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["total"], body["unassigned"], body["ok"]) == ("250000.00", "300000.00", False)
    assert body["rows"][0]["name"] == "Satu" and body["rows"][0]["error"] == ""
    assert body["rows"][1]["row"] == 3 and "'X' tidak dikenal" in body["rows"][1]["error"]
    bad = c.post(url, {"file": SimpleUploadedFile("shu.pdf", b"%PDF-1.4")})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "shu_old_books_invalid"
    rows = c.post(url, {"rows": [{"member_number": m1.number, "jma": "1"}]}, "application/json")
    assert rows.status_code == 200 and rows.json()["ok"] is True
    empty = c.post(url, {}, "application/json")
    assert empty.status_code == 400
    assert _nothing_written()
    assert (
        _client(old_books, f.user("pengawas")).post(url, {}, "application/json").status_code == 403
    )
