"""The check of a return with good and bad rows of every kind, pinned row by row: what
the upload stores (rows, their preview, row errors, warnings, file warnings) is exactly
what it was before the check was made faster for big files (issue #20: a 20,000-row
return took 21–31 s to check). Written against the code before that change."""

import io
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

from core.common.money import format_rupiah
from core.deductions.models import DeductionLine
from core.deductions.services import deduction_import_upload
from core.members.models import Member
from tests.members import factories as f

from .conftest import make_run

UNKNOWN = 480  # rows naming nobody the cooperative knows: most of the ~500 rows
EXCEL = (
    "NIP {v} kehilangan digit terakhir: Excel hanya menyimpan 15 digit angka. Format kolom "
    "NIP sebagai Teks (Format Cells › Text), ketik ulang nomornya, lalu simpan lagi; nomor "
    "dalam sel berformat teks tidak dipotong Excel."
)


def _unknown_nip(i: int) -> str:
    return f"19600101198503{1 + i % 2}{i + 1:03d}"


@pytest.fixture
def month(coop, cutoffs):
    """Members of agency A beyond the fixture's (x1..x7), x8 joined after the list,
    m3 retired (exit settled) after it."""
    from core.exits.services import exit_settlement_confirm

    ag_a = coop["agencies"][0]
    xs = [f.member(agency_obj=ag_a) for _ in range(7)]
    Member.objects.filter(pk=xs[5].pk).update(number="000777")
    xs[5].refresh_from_db()
    run = make_run(on=cutoffs[1], by=coop["by"])
    xs.append(f.member(agency_obj=ag_a))
    exit_settlement_confirm(
        member=coop["m"][2], reason="retired", on=cutoffs[1], by=coop["staff"]["bendahara"]
    )
    return coop, run, xs


def _cells(coop, run, xs) -> list[tuple]:
    """(NIP, No. Anggota, Jumlah) of each data row, in order (the header is row 1)."""
    m1, m2, m3, m4 = coop["m"]
    asked = {ln.member_id: ln.total for ln in DeductionLine.objects.filter(run=run)}
    rows = [
        (m1.nip, "", int(asked[m1.pk])),  # 2: good, in full
        (m2.nip, "", int(asked[m2.pk]) + 10000),  # 3: more than asked (warning)
        (m3.nip, "", int(asked[m3.pk])),  # 4: retired since the list
        (m4.nip, "", 50000),  # 5: another agency's member
        (xs[0].nip, "", "Rp 25.000,-"),  # 6: amount as text (preview)
        ("1.98503E+17", xs[1].number, 25000),  # 7: NIP unreadable, by number
        (_unknown_nip(999), xs[2].number, 25000),  # 8: NIP unknown, by number
        (xs[3].nip, m1.number, 25000),  # 9: NIP and number of two members
        (xs[7].nip, "", 25000),  # 10: not on this month's list
        ("", "777", 25000),  # 11: number that lost its zeros
        (m1.nip, "", 1000),  # 12: duplicate of row 2
        (xs[6].nip, "", "abc"),  # 13: known member, amount unreadable
        ("", "", 25000),  # 14: no NIP, no number
        ("1.96001E+17", "", 25000),  # 15: NIP unreadable, no number
        (xs[4].nip, "", 0),  # 16: good, nothing cut
        (_unknown_nip(998), "", ""),  # 17: unknown and no amount
    ]
    rows += [(_unknown_nip(i), "", 25000 + i) for i in range(UNKNOWN)]  # 18..
    return rows


def _expected(coop, run, xs):
    m1, m2, m3, m4 = coop["m"]
    lines = {ln.member_id: ln for ln in DeductionLine.objects.filter(run=run)}

    def name(m):
        return f"{m.full_name} ({m.number})"

    rows = [
        {"row": 2, "line_id": lines[m1.pk].pk, "amount": str(int(lines[m1.pk].total))},
        {"row": 3, "line_id": lines[m2.pk].pk, "amount": str(int(lines[m2.pk].total) + 10000)},
        {
            "row": 6,
            "line_id": lines[xs[0].pk].pk,
            "amount": "25000",
            "preview": {
                "member": name(xs[0]),
                "asked": str(lines[xs[0].pk].total),
                "written": "Rp 25.000,-",
                "guessed": False,
                "hidden": False,
            },
        },
        {
            "row": 7,
            "line_id": lines[xs[1].pk].pk,
            "amount": "25000",
            "preview": {
                "member": name(xs[1]),
                "asked": str(lines[xs[1].pk].total),
                "written": "",
                "guessed": True,
                "hidden": False,
            },
        },
        {
            "row": 8,
            "line_id": lines[xs[2].pk].pk,
            "amount": "25000",
            "preview": {
                "member": name(xs[2]),
                "asked": str(lines[xs[2].pk].total),
                "written": "",
                "guessed": True,
                "hidden": False,
            },
        },
        {
            "row": 11,
            "line_id": lines[xs[5].pk].pk,
            "amount": "25000",
            "preview": {
                "member": name(xs[5]),
                "asked": str(lines[xs[5].pk].total),
                "written": "",
                "guessed": True,
                "hidden": False,
            },
        },
        {"row": 16, "line_id": lines[xs[4].pk].pk, "amount": "0"},
    ]
    errors = [
        {
            "row": 4,
            "column": "NIP",
            "message": f"Anggota {m3.nip} sudah tidak aktif (Pensiun) sejak daftar dibuat; "
            f"potongan {format_rupiah(lines[m3.pk].total)} tidak dapat dibukukan. Kecualikan "
            "baris ini (dianggap tidak dipotong) dan kembalikan potongannya kepada anggota, "
            "atau perbaiki file.",
        },
        {
            "row": 5,
            "column": "NIP",
            "message": f"Anggota {m4.nip} terdaftar di instansi Dinas Kesehatan, bukan "
            "Dinas Pendidikan.",
        },
        {
            "row": 9,
            "column": "NIP",
            "message": f"NIP {xs[3].nip} milik {name(xs[3])}, tetapi No. Anggota {m1.number} "
            f"milik {name(m1)}; periksa baris ini (NIP atau nomor tertukar?).",
        },
        {
            "row": 10,
            "column": "NIP",
            "message": f"Anggota {xs[7].nip} tidak ada dalam daftar potong gaji bulan ini.",
        },
        {
            "row": 12,
            "column": "NIP",
            "message": f"Duplikat: anggota {m1.nip} sudah ada di baris 2.",
        },
        {
            "row": 13,
            "column": "Jumlah",
            "message": "Jumlah 'abc' bukan angka rupiah yang jelas; tulis mis. 1.250.000 atau "
            "1250000.",
        },
        {"row": 14, "column": "NIP", "message": "NIP / No. Anggota kosong."},
        {"row": 15, "column": "NIP", "message": EXCEL.format(v="1.96001E+17")},
        {
            "row": 17,
            "column": "NIP",
            "message": f"Anggota {_unknown_nip(998)} tidak dikenal.",
        },
    ]
    errors += [
        {
            "row": 18 + i,
            "column": "NIP",
            "message": f"Anggota {_unknown_nip(i)} tidak dikenal.",
        }
        for i in range(UNKNOWN)
    ]
    warnings = [
        {
            "row": 3,
            "column": "Realisasi",
            "message": f"Jumlah {format_rupiah(lines[m2.pk].total + 10000)} melebihi yang "
            f"diminta {format_rupiah(lines[m2.pk].total)}; kelebihan Rp 10.000 masuk "
            "simpanan sukarela.",
        },
        {
            "row": 7,
            "column": "NIP",
            "message": "NIP tidak terbaca ("
            + EXCEL.format(v="1.98503E+17")
            + "); anggota dicocokkan dari No. Anggota.",
        },
        {
            "row": 8,
            "column": "NIP",
            "message": f"NIP {_unknown_nip(999)} tidak dikenal; anggota dicocokkan dari "
            "No. Anggota.",
        },
        {
            "row": 11,
            "column": "NIP",
            "message": f"No. Anggota 777 tertulis tanpa nol di depan; dicocokkan dengan "
            f"{name(xs[5])}.",
        },
    ]
    return rows, errors, warnings


def _as_said(items: list[dict]) -> list[dict]:
    """Row errors or warnings as written at upload (their code and params aside:
    ``test_import_language``)."""
    return [{k: e[k] for k in ("row", "column", "message")} for e in items]


def _upload(coop, run, content, name):
    return deduction_import_upload(
        run=run, agency=coop["agencies"][0], content=content, file_name=name, by=coop["by"]
    )


def test_a_csv_of_good_and_bad_rows_is_checked_row_by_row_as_before(month):
    coop, run, xs = month
    lines = ["NIP,No. Anggota,Jumlah"] + [
        ",".join(f'"{c}"' if "," in str(c) else str(c) for c in r) for r in _cells(coop, run, xs)
    ]
    imp = _upload(coop, run, ("\n".join(lines) + "\n").encode(), "r.csv")
    rows, errors, warnings = _expected(coop, run, xs)
    assert imp.status == "invalid" and imp.file_errors == []
    assert imp.rows == rows
    assert _as_said(imp.errors) == errors
    assert _as_said(imp.posted_data["warnings"]) == warnings
    asked_a = sum(
        DeductionLine.objects.filter(run=run, agency=coop["agencies"][0]).values_list(
            "total", flat=True
        ),
        D(0),
    )
    realized = sum((D(r["amount"]) for r in rows), D(0))
    same = sum(
        1 for r in rows if D(r["amount"]) == DeductionLine.objects.get(pk=r["line_id"]).total
    )
    assert [w["message"] for w in imp.posted_data["file_warnings"]] == [
        f"PERHATIAN: berkas ini bukan hasil ekspor daftar {run.month_shown} (tanda ekspor tidak "
        "ada), jadi bulan dan instansinya tidak dapat dipastikan. "
        f"{same} dari {len(rows)} baris sama dengan yang diminta; total berkas "
        f"{format_rupiah(realized)}, total diminta {format_rupiah(asked_a)}. Pastikan ini "
        f"realisasi Dinas Pendidikan bulan {run.month_shown} sebelum memposting."
    ]
    assert imp.total_realized == realized


def test_an_xlsx_of_good_and_bad_rows_is_checked_row_by_row_as_before(month):
    """The same rows in a workbook, row 16 hidden and row 15's NIP a number Excel cut
    to 15 digits."""
    coop, run, xs = month
    wb = Workbook()
    ws = wb.active
    ws.append(["NIP", "No. Anggota", "Jumlah"])
    for r in _cells(coop, run, xs):
        ws.append([c if c != "" else None for c in r])
    ws["A15"] = 196001000000000000.0
    ws.row_dimensions[16].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    imp = _upload(coop, run, buf.getvalue(), "r.xlsx")
    rows, errors, warnings = _expected(coop, run, xs)
    rows[-1]["preview"] = {
        "member": f"{xs[4].full_name} ({xs[4].number})",
        "asked": str(DeductionLine.objects.get(run=run, member=xs[4]).total),
        "written": "",
        "guessed": False,
        "hidden": True,
    }
    errors[7]["message"] = EXCEL.format(v="196001000000000000")
    warnings.append(
        {
            "row": 16,
            "column": "",
            "message": "Baris ini tersembunyi di Excel; tetap dibaca dan diimpor.",
        },
    )
    assert imp.status == "invalid" and imp.file_errors == []
    assert imp.rows == rows
    assert _as_said(imp.errors) == errors
    assert _as_said(imp.posted_data["warnings"]) == warnings
