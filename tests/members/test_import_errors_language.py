"""A member import's row errors are said in the reader's language, not the uploader's: a
file uploaded with the Indonesian UI leaves errors the treasurer reads in English on
the import page (and back). Each is kept with a code and its params beside the text as
written (``core.common.said``); a message a cell's check gives (an unreadable NIP) is
said again by checking the cell kept. An import kept before codes shows its stored text.
"""

import pytest
from django.utils import translation

from core.members.models import MemberImport
from core.savings.member_import import member_import_upload
from tests.members import factories as f
from tests.members.test_import import rows as import_rows
from tests.members.test_import import to_csv

# (column, Indonesian as written at upload, English as read)
EXPECTED = [
    ("nama_lengkap", "Nama lengkap wajib diisi.", "The full name is required."),
    ("kode_instansi", "Instansi dengan kode XYZ tidak dikenal.", "Unknown agency code XYZ."),
    ("nip", "NIP harus 18 digit angka", "The NIP must be 18 digits"),
    ("nip", "Duplikat dalam berkas: sama dengan baris 2.", "Duplicate in the file: same as row 2."),
    ("tanggal_masuk", "Tanggal masuk tidak boleh di masa depan.", "must not be in the future"),
]


@pytest.fixture
def setup(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan Kota Palangka Raya")
    return f.user("bendahara")


def _upload(by) -> MemberImport:
    data = import_rows(5, kode_instansi="DISDIK")
    data[1]["nama_lengkap"] = ""
    data[1]["kode_instansi"] = "XYZ"
    data[2]["nip"] = "12345"
    data[3]["nip"] = data[0]["nip"]
    data[4]["tanggal_masuk"] = "2999-01-01"
    with translation.override("id"):
        batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=by)
    assert batch.status == MemberImport.Status.INVALID
    return batch


def _errors_table(c, by, batch, lang) -> str:
    c.force_login(by)
    c.cookies["django_language"] = lang
    page = c.get(f"/anggota/impor/{batch.pk}/").content.decode().replace("&#x27;", "'")
    return page.split("<table", 1)[1] if "<table" in page else page


def test_row_errors_uploaded_in_indonesian_are_read_in_english(setup, client_a):
    batch = _upload(setup)
    kept = {(e["column"], e["message"]) for e in batch.errors}
    for col, said_id, _en in EXPECTED:
        assert any(c == col and said_id in m for c, m in kept), (said_id, kept)
    assert all(e.get("code") for e in batch.errors), batch.errors

    page = _errors_table(client_a, setup, batch, "en")
    for _col, said_id, said_en in EXPECTED:
        assert said_en in page and said_id not in page, (said_en, page)
    page = _errors_table(client_a, setup, batch, "id")
    for _col, said_id, _en in EXPECTED:
        assert said_id in page


def test_row_errors_kept_before_codes_show_their_stored_text(setup, client_a):
    batch = _upload(setup)
    old = [{"row": 3, "column": "nip", "message": "Teks lama."}]
    odd = [{"row": 4, "column": "nip", "message": "Teks aneh.", "code": "member_import.cell"}]
    MemberImport.objects.filter(pk=batch.pk).update(errors=old + odd)
    page = _errors_table(client_a, setup, batch, "en")
    assert "Teks lama." in page and "Teks aneh." in page
