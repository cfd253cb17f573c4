"""An uploaded file's name is kept only as a label (an import's list and page, its audit
row): a control character in it is dropped, never stored, and the upload goes on
(``core.common.uploads.upload_file_name``). Django's multipart parser drops them from an
HTTP upload's name already; the services drop them for every other caller."""

import pytest

from core.common.uploads import upload_file_name
from core.savings.member_import import member_import_upload
from tests.members import factories as f
from tests.members.test_import import rows, to_csv


def test_a_file_name_is_kept_without_its_control_characters():
    assert upload_file_name("anggota\x01 Mei\x7f\x85.csv", default="x") == "anggota Mei.csv"
    assert upload_file_name("dua\tbaris\n.csv", default="x") == "dua baris .csv"
    assert upload_file_name("\x01\x02", default="anggota") == "anggota"
    assert upload_file_name(None, default="anggota") == "anggota"
    assert upload_file_name("a" * 300 + ".csv", default="x") == "a" * 255


@pytest.fixture
def bendahara(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan Kota Palangka Raya")
    f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    return f.user("bendahara")


def test_member_import_keeps_the_file_name_without_control_characters(bendahara):
    batch = member_import_upload(
        content=to_csv(rows(2)), file_name="anggota\x01\x9b.csv", by=bendahara
    )
    batch.refresh_from_db()
    assert batch.file_name == "anggota.csv"
    assert batch.status == "valid", batch.errors
