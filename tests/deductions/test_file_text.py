"""Control characters (``\\x01``, DEL, NEL ``\\x85``, the C1 range…) in the payroll
office's return file: a NIP, member-number or amount cell holding one is that row's error
(naming the column, on its row), whatever the other cells say, and is never stored; the
other rows are checked as before. Text the import only echoes (a header, the cells of a
Windows-1252 CSV listed for the treasurer to check) and the file's name are kept without
them. Nothing stored holds a control character."""

import json
import re

import pytest

from core.audit.models import AuditEvent
from core.deductions.models import DeductionImport

from .conftest import make_run
from .test_return_corpus import csv_of, upload, xlsx

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NIP_REFUSED = "NIP tidak boleh berisi karakter kontrol (tak terlihat)."
NUMBER_REFUSED = "No. Anggota tidak boleh berisi karakter kontrol (tak terlihat)."


@pytest.fixture
def month(coop, cutoffs):
    return coop, make_run(on=cutoffs[1], by=coop["by"])


def errors_of(imp) -> dict[tuple[int, str], str]:
    return {(e["row"], e["column"]): e["message"] for e in imp.errors}


def members_of(imp) -> set[int]:
    from core.deductions.models import DeductionLine

    lines = dict(DeductionLine.objects.filter(run=imp.run).values_list("id", "member_id"))
    return {lines[r["line_id"]] for r in imp.rows}


def assert_nothing_stored_with_control_characters(imp: DeductionImport) -> None:
    imp = DeductionImport.objects.get(pk=imp.pk)
    stored = json.dumps(
        [
            imp.file_name,
            imp.rows,
            imp.errors,
            imp.file_errors,
            imp.posted_data,
            list(
                AuditEvent.objects.filter(
                    target_type="deductions.deductionimport", target_id=str(imp.pk)
                ).values_list("data", "target_repr")
            ),
        ],
        ensure_ascii=False,
    )
    assert not CONTROL.search(stored), stored


def test_csv_nip_or_member_number_with_a_control_character_is_that_rows_error(month):
    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    content = csv_of(
        [
            "NIP,No. Anggota,Nama,Jumlah",
            f"{m1.nip},{m1.number},Satu,100000",
            # the member number alone would match: the NIP's character is still refused
            f"{m2.nip[:8]}\x01{m2.nip[8:]},{m2.number},Dua,100000",
            # \x1f: str.split() takes it for a space (and a CSV cell's ends are stripped)
            f",{m3.number[:3]}\x1f{m3.number[3:]},Tiga,100000",
        ]
    )
    imp = upload(coop, run, content)
    assert imp.status == "invalid"
    assert errors_of(imp) == {(3, "NIP"): NIP_REFUSED, (4, "No. Anggota"): NUMBER_REFUSED}
    assert members_of(imp) == {m1.pk}  # the good row is read as before
    assert imp.posted_data["warnings"] == []  # no "NIP … not known; matched by number"
    assert_nothing_stored_with_control_characters(imp)


def test_csv_amount_with_a_control_character_is_that_rows_error(month):
    coop, run = month
    m1, m2 = coop["m"][:2]
    content = csv_of(["NIP;Realisasi", f"{m1.nip};Rp 100.000\x01", f"{m2.nip};50.000"])
    imp = upload(coop, run, content)
    assert errors_of(imp) == {
        (2, "Realisasi"): "Jumlah tidak boleh berisi karakter kontrol (tak terlihat)."
    }
    assert members_of(imp) == {m2.pk}
    assert_nothing_stored_with_control_characters(imp)


def test_xlsx_nip_or_member_number_with_a_control_character_is_that_rows_error(month):
    coop, run = month
    m1, m2, m3 = coop["m"][:3]

    def build(wb, ws):
        ws.append(["NIP", "No. Anggota", "Nama", "Realisasi"])
        ws.append([m1.nip, m1.number, "Satu", 100000])
        # XML cannot hold \x01; NEL (\x85) and DEL it can, and Excel keeps them
        ws.append([f"{m2.nip}\x85", m2.number, "Dua", 100000])  # \s in a regex: removed
        ws.append([None, f"{m3.number}\x7f", "Tiga", 100000])

    imp = upload(coop, run, xlsx(build), name="realisasi.xlsx")
    assert imp.status == "invalid"
    assert errors_of(imp) == {(3, "NIP"): NIP_REFUSED, (4, "No. Anggota"): NUMBER_REFUSED}
    assert members_of(imp) == {m1.pk}
    assert_nothing_stored_with_control_characters(imp)


def test_text_only_echoed_is_kept_without_its_control_characters(month):
    """A name cell is not read: its control character changes nothing, and the list of
    a Windows-1252 CSV's cells to check shows it without; so does a header in a row
    error, and the file's name."""
    coop, run = month
    m1, m2 = coop["m"][:2]
    content = csv_of(
        [
            "NIP;Nama;Reali\x02sasi",
            f"{m1.nip};Sitì\x01 Aminah;100.000",
            f"{m2.nip};Budi;abc",
        ],
        encoding="cp1252",
    )
    imp = upload(coop, run, content, name="reali\x01sasi\x9b.csv")
    assert members_of(imp) == {m1.pk}
    assert errors_of(imp) == {
        (3, "Realisasi"): (
            "Jumlah 'abc' bukan angka rupiah yang jelas; tulis mis. 1.250.000 atau 1250000."
        )
    }
    assert imp.posted_data["non_ascii"] == [{"row": 2, "column": "Nama", "text": "Sitì Aminah"}]
    assert imp.file_name == "realisasi.csv"
    assert_nothing_stored_with_control_characters(imp)
