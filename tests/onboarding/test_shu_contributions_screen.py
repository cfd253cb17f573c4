"""Step 4a of the wizard on the web: each member's jasa pinjaman paid in the cut-over's
year in the old books, uploaded from the template (XLSX or CSV), all rows or none with
every row error listed, the saved figures shown with their count and total, replaced by
uploading again, refused once the move-in is undone or the year is closed."""

import io
from decimal import Decimal as D

from openpyxl import Workbook

from core.common.spreadsheet import read_workbook
from core.ledger.models import FiscalYear
from core.ledger.services import fiscal_year_ensure
from core.loans.models import JasaPaidBroughtIn
from core.onboarding.files import rows_from_file
from core.onboarding.services import move_in_undo, trial_balance_post

from .helpers import tb_rows, upload_and_confirm
from .test_screens import csv_file, login

URL = "/pindah/"


def xlsx_file(rows: list[list], name="jasa.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(["Jasa pinjaman 1 Januari - tanggal pindah"])
    for r in rows:
        ws.append(r)
    f = io.BytesIO()
    wb.save(f)
    f.seek(0)
    f.name = name
    return f


def saved() -> dict:
    rows = JasaPaidBroughtIn.objects.values_list("member__number", "amount")
    return dict(rows.order_by("member__number"))


def upload(c, move_in, f, **extra):
    """The file through the step's two steps: *Unggah dan pratinjau* shows the preview, its
    confirm saves (``tests/onboarding/test_steps_confirm.py``)."""
    return upload_and_confirm(
        c, {"action": "shu_contributions", "move_in": move_in.pk, "file": f, **extra}
    )


def test_xlsx_upload_saves_each_members_jasa_and_the_page_lists_them(
    staff, move_in, members, cutover
):
    c = login(staff["bendahara"])
    page = c.get(URL).content.decode()
    assert "Jasa pinjaman tahun berjalan (pembukuan lama)" in page
    assert "Opsional" in page and "Belum ada jasa yang disimpan." in page
    m0, m1, m2 = members
    f = xlsx_file(
        [
            ["no anggota", "nama", "jasa dibayar"],
            [m0.number, "nama lain, tidak diperiksa", "1.234.567"],  # text as typed
            [m1.number.lower(), m1.full_name, 300000],  # a number cell; case ignored
            [m2.number, m2.full_name, "-"],  # Excel's accounting zero
        ]
    )
    r = upload(c, move_in, f)
    page = r.content.decode()
    assert r.status_code == 200
    assert (
        f"Jasa pinjaman {cutover.year} dari pembukuan lama disimpan: 2 anggota, "
        "total Rp 1.534.567." in page
    )
    assert saved() == {m0.number: D("1234567"), m1.number: D("300000")}
    # the saved figures, their count and total
    assert "2 anggota, total jasa Rp 1.534.567." in page
    assert m0.full_name in page and "Rp 1.234.567" in page and "Rp 300.000" in page
    assert "Total (2)" in page and "Mengunggah lagi menggantikan seluruh daftar di bawah." in page
    assert "Belum ada jasa yang disimpan." not in page


def test_uploading_again_replaces_the_list(staff, move_in, members):
    c = login(staff["bendahara"])
    m0, m1, _m2 = members
    first = f"no anggota;nama;jasa dibayar\n{m0.number};A;100.000\n{m1.number};B;200.000\n"
    upload(c, move_in, csv_file(first, "jasa.csv"))
    again = f"no anggota;nama;jasa dibayar\n{m1.number};B;250.000\n"
    page = upload(c, move_in, csv_file(again, "jasa.csv")).content.decode()
    assert saved() == {m1.number: D("250000")}
    assert "1 anggota, total jasa Rp 250.000." in page


def test_bad_rows_listed_in_indonesian_and_nothing_saved(staff, move_in, members, cutover):
    from datetime import timedelta

    from tests.members import factories as f

    c = login(staff["bendahara"])
    m0, m1, m2 = members
    upload(c, move_in, csv_file(f"no anggota;nama;jasa dibayar\n{m0.number};A;50.000\n"))
    late = f.member(full_name="Baru", join_date=cutover + timedelta(days=1))
    bad = (
        "no anggota;nama;jasa dibayar\n"
        f"{m1.number};B;100.000\n"  # good, but the file is refused as a whole
        "X-404;Tidak Ada;5\n"
        f"{m1.number};B lagi;5\n"
        f"{m2.number};C;1.000,50\n"
        f"{late.number};Baru;10.000\n"
        ";Tanpa Nomor;200.000\n"  # no member number (a TOTAL label would be a totals row)
        f"{m0.number};A;abc\n"
    )
    r = upload(c, move_in, csv_file(bad))
    page = r.content.decode()
    assert r.status_code == 200
    assert "Daftar jasa tahun berjalan berisi kesalahan; tidak ada yang disimpan." in page
    assert "Laporan kesalahan per baris" in page
    for text in (
        "Anggota X-404 tidak ada.",
        f"Anggota {m1.number} sudah ada di baris 2.",
        "Jasa harus rupiah utuh, tanpa sen",
        "sesudah tanggal pindah",
        "Nomor anggota wajib diisi.",
        "bukan angka rupiah yang jelas",
    ):
        assert text in page, text
    assert '<td class="mono">no anggota</td>' in page
    assert '<td class="mono">jasa dibayar</td>' in page
    # the earlier list stays as it was
    assert saved() == {m0.number: D("50000")}
    # a file without the columns is refused naming them
    r = upload(c, move_in, csv_file("nomor;jumlah\n1;2\n"))
    assert "kolom wajib yang tidak ada: no anggota, jasa dibayar" in r.content.decode()
    assert saved() == {m0.number: D("50000")}


def test_template_lists_the_members_with_what_is_saved(staff, move_in, members):
    c = login(staff["bendahara"])
    m0, m1, m2 = members
    upload(c, move_in, csv_file(f"no anggota;nama;jasa dibayar\n{m1.number};B;75.000\n"))
    r = c.get("/pindah/templat/shu_contributions.xlsx")
    assert r.status_code == 200
    sheet = read_workbook(content=r.content, file_name="t.xlsx").sheets[0]
    assert sheet.rows[0].cells[0].startswith("Jasa pinjaman tahun berjalan")
    rows = rows_from_file(content=r.content, file_name="t.xlsx", kind="shu_contributions")
    got = {r["member_number"]: (r["member_name"], r["jasa"]) for r in rows}
    assert got == {
        m0.number: (m0.full_name, 0),
        m1.number: (m1.full_name, 75000),
        m2.number: (m2.full_name, 0),
    }
    # read back as it is, it saves the same list
    f = io.BytesIO(r.content)
    f.name = "t.xlsx"
    upload(c, move_in, f)
    assert saved() == {m1.number: D("75000")}


def test_refused_once_the_move_in_is_undone(staff, move_in, members, by):
    c = login(staff["bendahara"])
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    move_in_undo(move_in=move_in, reason="salah tanggal", by=staff["admin"])
    # the page was open before the undo: its form names the undone move-in
    r = upload(c, move_in, csv_file(f"no anggota;nama;jasa dibayar\n{members[0].number};A;1\n"))
    assert "Proses pindah ini sudah dibatalkan." in r.content.decode()
    assert not JasaPaidBroughtIn.objects.exists()


def test_refused_once_the_year_is_closed(staff, move_in, members, cutover):
    c = login(staff["bendahara"])
    fy = fiscal_year_ensure(year=cutover.year)
    FiscalYear.objects.filter(pk=fy.pk).update(status=FiscalYear.Status.CLOSED)
    page = c.get(URL).content.decode()
    assert f"Tahun buku {cutover.year} sudah ditutup; daftar ini tidak dapat diubah lagi." in page
    assert 'value="shu_contributions"' not in page  # no form
    r = upload(c, move_in, csv_file(f"no anggota;nama;jasa dibayar\n{members[0].number};A;1\n"))
    assert (
        f"Tahun buku {cutover.year} sudah ditutup; jasa tahun itu tidak dapat diubah lagi."
        in r.content.decode()
    )
    assert not JasaPaidBroughtIn.objects.exists()
