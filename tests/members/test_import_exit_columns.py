"""The member import registers active members only (the status it writes is *Aktif*).
A file exported from the old books often carries a status or exit-date column (*Status:
Keluar*, *Tanggal keluar*): the import used to refuse it as "kolom tidak dikenal: status",
which does not say what to do with the members who left. Now the refusal names those
columns and says: a member who left and was paid out is not imported; one whose savings
were not paid out yet is imported as active with their balances, then settled through
the exit settlement (*Keluar*). Nothing is written."""

import pytest

from core.common.errors import ApplicationError
from core.members.models import Member, MemberImport
from core.savings.member_import import member_import_upload

from .test_import import rows, to_csv, to_xlsx


@pytest.fixture
def setup(in_tenant_a):
    from core.savings.seeding import savings_products_seed
    from tests.members import factories as f

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan Kota Palangka Raya")
    f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    return f.user("bendahara")


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"status": "Keluar"}, "status"),
        ({"Status Anggota": "Pensiun"}, "status_anggota"),
        ({"tanggal_keluar": "2025-06-30"}, "tanggal_keluar"),
        ({"Tgl. Keluar": "30/06/2025", "alasan_keluar": "pensiun"}, "alasan_keluar"),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_status_or_exit_column_is_refused_pointing_to_the_exit(setup, headers, named, fmt):
    data = rows(2, **headers)
    content = to_csv(data) if fmt == "csv" else to_xlsx(data)
    before = Member.objects.count()
    with pytest.raises(ApplicationError) as e:
        member_import_upload(content=content, file_name=f"anggota.{fmt}", by=setup)
    assert e.value.code == "import_bad_columns"
    msg = str(e.value.message)
    assert named in msg
    assert "anggota aktif" in msg and "penyelesaian keluar" in msg and "Keluar" in msg
    assert Member.objects.count() == before and not MemberImport.objects.exists()


def test_another_unknown_column_is_still_named_as_unknown(setup):
    content = to_csv(rows(1, catatan="x"))
    with pytest.raises(ApplicationError) as e:
        member_import_upload(content=content, file_name="anggota.csv", by=setup)
    assert "kolom tidak dikenal: catatan" in str(e.value.message)
    assert "penyelesaian keluar" not in str(e.value.message)
