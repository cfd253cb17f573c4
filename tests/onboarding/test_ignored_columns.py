"""A file whose header is found but which has columns the step does not read — a title
that could mean two things (*Bunga*, *Angsuran Ke*, *Jenis*), a second column for a
field already read (*Nama Akun* beside *Kode Akun*), a title that is no column of the
template — says so on the preview, each column with why, so that the treasurer does not
believe they were used (a *Bunga* of 1.5 % left unread means the product's rate). In the
API's preview as ``ignored_columns``."""

import io
import re

from core.onboarding.files import read_file
from core.onboarding.services import trial_balance_post

from .helpers import loan_row, tb_rows
from .test_api import login as api_login
from .test_screens import login
from .test_treasurer_files import _tb_sheet, _xlsx

URL = "/pindah/"
API = "/api/v1/onboarding/"
BUNGA_WHY = "bisa persen jasa atau jasa per angsuran dalam rupiah; bila persen, beri judul jasa"
ANGSURAN_WHY = (
    "bisa angsuran yang sudah dibayar atau angsuran berikutnya; beri judul angsuran "
    "dibayar dengan jumlah angsuran yang sudah dibayar"
)


def _file(content: bytes, name: str):
    f = io.BytesIO(content)
    f.name = name
    return f


def _loans_xlsx(members, cutover, paid=True) -> bytes:
    r = loan_row(members[0], cutover)
    header = ["No. Agt", "Nama", "Kode Produk", "Plafon", "Tgl Cair", "Jangka Waktu"]
    header += ["Bunga", "Angsuran Ke", "Sisa Pokok", "Keterangan"]
    line = [r["member_number"], "Anggota 0", "PINJ", r["principal"], r["disbursed_on"], "12"]
    line += ["1,5", "8", r["outstanding"], "lancar"]
    if paid:
        header.append("Angsuran Dibayar")
        line.append(r["instalments_paid"])
    return _xlsx([["DAFTAR PINJAMAN"], header, line])


def test_read_file_names_the_columns_it_does_not_read(move_in, members, product, cutover):
    read = read_file(content=_loans_xlsx(members, cutover), file_name="p.xlsx", kind="loans")
    assert [(c["column"], c["reason"]) for c in read.ignored_columns] == [
        ("Nama", "unknown"),
        ("Bunga", "ambiguous"),
        ("Angsuran Ke", "ambiguous"),
        ("Keterangan", "unknown"),
    ]
    assert [c["message"] for c in read.ignored_columns] == [
        "untuk dibaca saja; anggota dikenali dari nomor anggota atau NIP",
        BUNGA_WHY,
        ANGSURAN_WHY,
        "bukan kolom templat",
    ]
    # the trial balance's *Nama Akun* beside *Kode Akun*: the account is read from the first
    tb = read_file(content=_xlsx(_tb_sheet()), file_name="n.xlsx", kind="trial_balance")
    assert tb.ignored_columns == [
        {
            "column": "Nama Akun",
            "reason": "duplicate",
            "message": "akun sudah dibaca dari kolom Kode Akun",
        }
    ]


def test_loans_preview_says_which_columns_it_did_not_read(
    staff, move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = login(staff["bendahara"])
    content = _loans_xlsx(members, cutover)
    r = c.post(URL, {"action": "loans", "move_in": move_in.pk, "file": _file(content, "p.xlsx")})
    page = r.content.decode()
    m = re.search(r'<div id="loans-preview" class="card">.*?</form>\s*</div>', page, re.S)
    assert m, page
    card = re.sub(r"\s+", " ", m.group(0))
    assert "4 kolom tidak dibaca" in card
    assert f"<li><b>Bunga</b>: {BUNGA_WHY}</li>" in card
    assert f"<li><b>Angsuran Ke</b>: {ANGSURAN_WHY}</li>" in card
    assert "<li><b>Keterangan</b>: bukan kolom templat</li>" in card


def test_api_preview_lists_ignored_columns(staff, move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = api_login(by)
    content = _loans_xlsx(members, cutover)
    r = c.post(API + "loans/", {"file": _file(content, "p.xlsx"), "preview": "true"})
    assert r.status_code == 200, r.content
    assert [x["column"] for x in r.json()["ignored_columns"]] == [
        "Nama",
        "Bunga",
        "Angsuran Ke",
        "Keterangan",
    ]
    r = c.post(
        API + "loans/",
        {"rows": [loan_row(members[0], cutover)], "preview": True},
        "application/json",
    )
    assert r.status_code == 200 and r.json()["ignored_columns"] == []


def test_a_row_error_page_names_the_columns_not_read_too(
    staff, move_in, by, members, product, cutover
):
    """*Angsuran dibayar wajib diisi* while the file has *Angsuran Ke*: the page says that
    column was not read, and what to title it."""
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = login(staff["bendahara"])
    content = _loans_xlsx(members, cutover, paid=False)
    r = c.post(URL, {"action": "loans", "move_in": move_in.pk, "file": _file(content, "p.xlsx")})
    page = re.sub(r"\s+", " ", r.content.decode())
    assert "Angsuran dibayar wajib diisi." in page
    note = re.search(r"Kolom yang tidak dibaca: [^<]*", page)
    assert note and f"Angsuran Ke ({ANGSURAN_WHY})" in note.group(0), page
