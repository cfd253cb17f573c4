import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import Workbook

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.members.models import Member, MemberImport
from core.savings.member_import import (
    COLUMN_NAMES,
    import_parse,
    import_template_csv,
    import_template_xlsx,
    member_import_run,
    member_import_upload,
)
from core.savings.models import SavingsAccount, SavingsTransaction

from . import factories as f

D = Decimal
# The opening balances' date: 1 January of the year the suite runs, on any day (the test
# cooperatives' books start in that year; a fixed 2026 was refused under a clock in 2028).
# Taken once, at import: a run that passes midnight of 31 December keeps that year (the
# books start in it or the year after; opening balances may date the year before them).
OPENING = date(timezone.localdate().year, 1, 1)


@pytest.fixture
def setup(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan Kota Palangka Raya")
    f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    return f.user("bendahara")


def rows(n, **override):
    out = []
    for i in range(n):
        nip, nik = f.unique_ids()
        r = {
            "nomor_anggota": "",
            "nama_lengkap": f"Anggota Impor {i}",
            "nip": nip,
            "nik": nik,
            "golongan": "III/a",
            "kode_instansi": "DISDIK" if i % 2 else "RSUD",
            "tanggal_masuk": "2019-03-01",
            "telepon": "081234567890",
            "saldo_pokok": "100000",
            "saldo_wajib": "1.250.000",
            "saldo_sukarela": "" if i % 3 else "500000",
        }
        r.update(override)
        out.append(r)
    return out


def to_csv(data, *, delimiter=",", header=None, encoding="utf-8") -> bytes:
    header = header or list(data[0].keys())
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    for r in data:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue().encode(encoding)


def to_xlsx(data) -> bytes:
    wb = Workbook()
    ws = wb.active
    header = list(data[0].keys())
    ws.append(header)
    for r in data:
        ws.append([r[h] for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _nothing_written(before):
    assert (
        Member.objects.count(),
        SavingsAccount.objects.count(),
        JournalEntry.objects.count(),
    ) == before


def _snapshot():
    return (Member.objects.count(), SavingsAccount.objects.count(), JournalEntry.objects.count())


def test_valid_csv_imports_members_accounts_and_one_opening_entry(setup):
    from tests.savings.conftest import assert_reconciled

    data = rows(12)
    batch = member_import_upload(
        content=to_csv(data, delimiter=";"), file_name="anggota.csv", by=setup
    )
    assert batch.status == "valid", batch.errors
    entries = JournalEntry.objects.count()
    member_import_run(batch=batch, opening_date=OPENING, by=setup)
    batch.refresh_from_db()
    assert batch.status == "imported"
    assert JournalEntry.objects.count() == entries + 1
    entry = JournalEntry.objects.get(pk=batch.journal_entry_id)
    assert entry.source == "opening"
    imported = Member.objects.filter(nip__in=[r["nip"] for r in data])
    assert imported.count() == 12
    assert SavingsAccount.objects.filter(member__in=imported, product__kind="wajib").get(
        member__nip=data[0]["nip"]
    ).balance == D("1250000")
    assert SavingsAccount.objects.filter(member__in=imported, product__kind="sukarela").count() == 4
    assert SavingsTransaction.objects.filter(journal_entry=entry).count() == 12 * 2 + 4
    total = 12 * (100000 + 1250000) + 4 * 500000
    assert sum(ln.debit for ln in entry.lines.all()) == D(total)
    assert_reconciled()
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=OPENING, by=setup)
    assert e.value.code == "import_already_done"


def test_valid_xlsx_imports(setup):
    data = rows(3)
    batch = member_import_upload(content=to_xlsx(data), file_name="anggota.xlsx", by=setup)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=setup)
    assert Member.objects.filter(nip__in=[r["nip"] for r in data]).count() == 3


def test_xlsx_nip_stored_as_number_is_refused_not_mangled(setup):
    data = rows(1)
    data[0]["nip"] = float(data[0]["nip"])  # what Excel does to an 18-digit number
    batch = member_import_upload(content=to_xlsx(data), file_name="anggota.xlsx", by=setup)
    assert batch.status == "invalid"
    assert batch.errors[0]["column"] == "nip" and "Teks" in batch.errors[0]["message"]


def test_every_bad_row_reported_and_nothing_imported(setup):
    existing = f.member()
    data = rows(8)
    data[0]["nip"] = "12345"  # malformed
    data[1]["nik"] = "6271033203850001"  # day 32
    data[2]["nip"] = data[3]["nip"]  # duplicate in file
    data[4]["nik"] = existing.nik  # duplicate in database
    data[5]["kode_instansi"] = "TIDAKADA"  # unknown agency
    data[6]["saldo_wajib"] = "-5000"  # bad amount
    data[7]["saldo_sukarela"] = "12,5x"  # not a number
    before = _snapshot()
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    assert batch.status == "invalid"
    got = {(e["row"], e["column"]) for e in batch.errors}
    assert {
        (2, "nip"),
        (3, "nik"),
        (5, "nip"),  # row 5 repeats row 4's... reported at the later row
        (6, "nik"),
        (7, "kode_instansi"),
        (8, "saldo_wajib"),
        (9, "saldo_sukarela"),
    } <= got, batch.errors
    msgs = " ".join(e["message"] for e in batch.errors)
    assert "Duplikat dalam berkas" in msgs and "Sudah terdaftar" in msgs and "tidak dikenal" in msgs
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=OPENING, by=setup)
    assert e.value.code == "import_invalid_rows"
    _nothing_written(before)


def test_all_or_nothing_when_database_changed_after_upload(setup):
    data = rows(5)
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    assert batch.status == "valid"
    # someone registers row 5's NIP by hand before the import is confirmed
    f.member(nip=data[4]["nip"])
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=OPENING, by=setup)
    assert e.value.code == "import_invalid_rows"
    _nothing_written(before)
    assert not Member.objects.filter(nip=data[0]["nip"]).exists()


def test_wrong_columns_refused(setup):
    data = rows(2)
    # "nama" and "instansi" are read as nama_lengkap and kode_instansi (an old system's
    # names); these are no column's
    content = to_csv(data, header=["nama pegawai", "nip", "nik", "kantor"])
    with pytest.raises(ApplicationError) as e:
        member_import_upload(content=content, file_name="anggota.csv", by=setup)
    assert e.value.code == "import_bad_columns"
    assert "nama_lengkap" in e.value.message and "kolom tidak dikenal" in e.value.message
    assert not MemberImport.objects.exists()


def test_wrong_encoding_refused(setup):
    data = rows(1, nama_lengkap="Ñoman Sürya")
    # 0x81 has no character in Windows-1252 either: neither reading fits
    content = to_csv(data, encoding="cp1252").replace(b"S\xfcrya", b"S\x81rya")
    with pytest.raises(ApplicationError) as e:
        member_import_upload(content=content, file_name="anggota.csv", by=setup)
    assert e.value.code == "import_bad_encoding"
    assert "UTF-8" in e.value.message
    # UTF-16 (Excel's "Unicode Text") is unambiguous: read, not refused (issue 26)
    batch = member_import_upload(
        content=to_csv(data, encoding="utf-16"), file_name="a.csv", by=setup
    )
    assert batch.status == "valid", batch.errors
    assert batch.rows[0]["nama_lengkap"] == "Ñoman Sürya"


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "a.csv", "import_empty"),
        (b"nama_lengkap,nip,nik,kode_instansi,tanggal_masuk\n", "a.csv", "import_empty"),
        (b"PK\x03\x04garbage", "a.xlsx", "import_bad_format"),
        (b"%PDF-1.4", "a.pdf", "import_bad_format"),
    ],
)
def test_unreadable_files_refused(setup, content, name, code):
    with pytest.raises(ApplicationError) as e:
        import_parse(content=content, file_name=name)
    assert e.value.code == code


def test_templates_have_the_expected_columns_and_parse_back(setup):
    # the fixed columns, then one per active berjangka product (the seeded Hari Raya)
    expected = [*COLUMN_NAMES, "saldo_shr"]
    rows_csv = import_parse(content=import_template_csv(), file_name="t.csv")
    assert [k for k in rows_csv[0] if not k.startswith("_")] == expected
    assert rows_csv[0]["_row"] == 2
    rows_xlsx = import_parse(content=import_template_xlsx(), file_name="t.xlsx")
    assert [k for k in rows_xlsx[0] if not k.startswith("_")] == expected
    from core.savings.member_import import import_validate

    f.agency("DISDIK", "x")
    checked = import_validate(rows_csv)
    assert checked.ok, checked.errors


def test_row_joining_before_the_birth_date_in_its_nip_refused(setup):
    """As on the registration screen: a member cannot have joined before the birth date
    the NIP carries (a year typed 1975 for 2015, say); the row is named, nothing imported."""
    data = rows(2)
    data[1]["nip"] = f.make_nip(11, birth=(1980, 5, 1), appointed=(2005, 1))
    data[1]["tanggal_masuk"] = "1975-03-01"
    before = _snapshot()
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    assert batch.status == "invalid"
    assert (3, "tanggal_masuk") in {(e["row"], e["column"]) for e in batch.errors}
    _nothing_written(before)


def test_windows_1252_csv_is_read_and_the_preview_says_so_listing_the_names(setup, tenant_a):
    """Excel on Indonesian Windows saves "CSV" as Windows-1252: read it, say so, and show
    every cell with a letter outside ASCII so the treasurer can check it was read right."""
    from django.test import Client

    from tenants.services import tenant_host

    data = rows(3, alamat="Jl. Merdeka 1")
    data[0]["nama_lengkap"] = "Sitì Ñurhayati"
    data[2]["alamat"] = "Jl. Garuda – Blok C"  # an en dash, 0x96 in Windows-1252
    content = to_csv(data, delimiter=";", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    batch = member_import_upload(content=content, file_name="anggota.csv", by=setup)
    assert batch.status == "valid", batch.errors
    assert batch.rows[0]["nama_lengkap"] == "Sitì Ñurhayati"
    assert batch.summary["encoding"] == "windows-1252"
    assert batch.summary["non_ascii"] == [
        {"row": 2, "column": "nama_lengkap", "text": "Sitì Ñurhayati"},
        {"row": 4, "column": "alamat", "text": "Jl. Garuda – Blok C"},
    ]
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(setup)
    html = c.get(f"/anggota/impor/{batch.pk}/").content.decode()
    assert "Windows-1252" in html and "Sitì Ñurhayati" in html and "Garuda – Blok C" in html
    # amounts are ASCII digits in either reading: the same totals as the UTF-8 file
    same = member_import_upload(
        content=to_csv(rows(3, alamat="Jl. Merdeka 1"), delimiter=";"), file_name="b.csv", by=setup
    )
    assert same.summary["totals"] == batch.summary["totals"]
    assert "encoding" not in same.summary
    member_import_run(batch=batch, opening_date=OPENING, by=setup)
    assert Member.objects.get(nip=data[0]["nip"]).full_name == "Sitì Ñurhayati"
    batch.refresh_from_db()
    assert batch.summary["encoding"] == "windows-1252"  # still said after the import


def test_member_number_differing_only_in_case_is_a_duplicate(setup):
    # registration treats ``kp-001`` as ``KP-001``; so does the import, against the
    # database and against another row of the same file
    f.member(number="KP-001")
    data = rows(4)
    data[0]["nomor_anggota"] = "kp-001"  # an existing member's number, in lower case
    data[1]["nomor_anggota"] = "KP-777"
    data[2]["nomor_anggota"] = "kp-777"  # row 3's number again
    before = _snapshot()
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    assert batch.status == "invalid"
    got = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "Sudah terdaftar" in got[(2, "nomor_anggota")], batch.errors
    assert "baris 3" in got[(4, "nomor_anggota")], batch.errors
    assert (3, "nomor_anggota") not in got
    with pytest.raises(ApplicationError):
        member_import_run(batch=batch, opening_date=OPENING, by=setup)
    _nothing_written(before)


def test_generated_numbers_use_each_members_own_join_year(setup):
    from core.members.models import MemberSettings

    MemberSettings.objects.update_or_create(
        pk=1, defaults={"number_pattern": "{year}-{seq:04d}", "next_seq": 1}
    )
    data = rows(3)
    data[0]["tanggal_masuk"] = "2015-02-01"
    data[1]["tanggal_masuk"] = "2019-03-01"
    data[2]["tanggal_masuk"] = "2015-07-01"
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=setup)
    got = [Member.objects.get(nip=r["nip"]).number for r in data]
    assert got == ["2015-0001", "2019-0002", "2015-0003"]
    assert MemberSettings.objects.get(pk=1).next_seq == 4


def test_generated_numbers_skip_a_number_given_in_the_file_in_any_case(setup):
    from core.members.models import MemberSettings

    MemberSettings.objects.update_or_create(
        pk=1, defaults={"number_pattern": "A{seq:05d}", "next_seq": 1}
    )
    f.member(number="a00002")  # brought in earlier with another case
    data = rows(3)
    data[2]["nomor_anggota"] = "a00001"  # the pattern's first number, typed in lower case
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=setup)
    got = [Member.objects.get(nip=r["nip"]).number for r in data]
    assert got == ["A00003", "A00004", "a00001"]
