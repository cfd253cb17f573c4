"""Step 4b of the move-in: each member's capital savings at the month-ends of the
cut-over's year before the cut-over, from the old books (the year end's average capital
takes them instead of estimating). All rows or none, every row error in Indonesian;
through the service, the screen (with a preview) and the API; undone with the move-in."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from core.audit.models import AuditEvent
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear
from core.ledger.services import fiscal_year_ensure
from core.members.models import Member
from core.onboarding.capital import capital_balances_post, capital_balances_preview
from core.onboarding.services import move_in_start, move_in_undo
from core.savings.models import CapitalBalanceBroughtIn
from tests.members import factories as f

from .helpers import members_import, upload_and_confirm
from .test_screens import csv_file, login

# a fixed cut-over in the middle of last year: the month-ends January to May are before it
CUTOVER = date(timezone.localdate().year - 1, 6, 30)
Y = CUTOVER.year
FEB = date(Y, 3, 1) - timedelta(days=1)
URL = "/pindah/"
API = "/api/v1/onboarding/capital-balances/"


@pytest.fixture
def mi(by):
    return move_in_start(cutover_date=CUTOVER, by=by)


def saved() -> dict:
    return {
        (number, end.month): (pokok, wajib, sukarela)
        for number, end, pokok, wajib, sukarela in CapitalBalanceBroughtIn.objects.values_list(
            "member__number", "month_end", "pokok", "wajib", "sukarela"
        )
    }


def row(n, member, month, pokok="100.000", wajib="1.000.000", **kw) -> dict:
    number = member if isinstance(member, str) else member.number
    return {"row": n, "member_number": number, "month": month, "pokok": pokok, "wajib": wajib, **kw}


def test_rows_saved_with_rupiah_as_typed_and_months_as_offices_write_them(mi, by, members):
    m0, m1, _m2 = members
    result = capital_balances_post(
        move_in=mi,
        by=by,
        rows=[
            row(2, m0, "1", wajib="1.234.567", sukarela="-"),
            row(3, m0, 2.0, pokok=100000.0, wajib=1300000.0),  # number-typed cells
            row(4, m0, "Maret", sukarela="Rp 250.000"),
            row(5, m0, f"Apr {Y}"),
            row(6, m0, f"{Y}-05"),
            row(7, m1.number.lower(), datetime(Y, 1, 31)),  # an Excel date cell
            row(8, m1, f"02/{Y}"),
            row(9, m1, "Maret", pokok="", wajib="", sukarela=""),  # nothing known: estimated
        ],
    )
    assert saved() == {
        (m0.number, 1): (D("100000"), D("1234567"), D("0")),
        (m0.number, 2): (D("100000"), D("1300000"), None),
        (m0.number, 3): (D("100000"), D("1000000"), D("250000")),
        (m0.number, 4): (D("100000"), D("1000000"), None),
        (m0.number, 5): (D("100000"), D("1000000"), None),
        (m1.number, 1): (D("100000"), D("1000000"), None),
        (m1.number, 2): (D("100000"), D("1000000"), None),
    }
    assert (result["members"], result["rows"], result["skipped"]) == (2, 7, 1)
    assert [m["old_books"] for m in result["months"]] == [2, 2, 1, 1, 1]
    event = AuditEvent.objects.filter(action="onboarding.capital_balances").get()
    assert event.data == {"year": Y, "members": 2, "rows": 7, "skipped": 1, "with_sukarela": 2}


def test_a_month_as_a_bare_number_in_a_1904_workbook_is_that_systems_date(mi, by, members):
    """A Mac workbook (1904 date system) with the month column formatted General holds
    31 January as its 1904 serial: read with the 1900 system it fell four years early."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel

    from core.onboarding.files import rows_from_file

    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    wb.active.append(["no anggota", "bulan", "pokok", "wajib"])
    serial = int(to_excel(date(Y, 1, 31), epoch=CALENDAR_MAC_1904))
    wb.active.append([members[0].number, serial, 100000, 1000000])
    buf = io.BytesIO()
    wb.save(buf)
    rows = rows_from_file(content=buf.getvalue(), file_name="modal.xlsx", kind="capital_balances")
    capital_balances_post(move_in=mi, by=by, rows=rows)
    assert saved() == {(members[0].number, 1): (D("100000"), D("1000000"), None)}


def test_bad_rows_are_refused_row_by_row_and_nothing_changes(mi, by, members):
    m0, m1, _m2 = members
    capital_balances_post(move_in=mi, by=by, rows=[row(2, m0, "1")])
    before = saved()
    late = f.member(full_name="Masuk April", join_date=date(Y, 4, 10))
    with pytest.raises(ApplicationError) as e:
        capital_balances_post(
            move_in=mi,
            by=by,
            rows=[
                row(2, "X-9", "1"),
                row(3, m0, "Juni"),
                row(4, m0, f"{Y - 1}-03"),
                row(5, m0, "13"),
                row(6, m0, "Februari", pokok="-100.000"),
                row(7, m0, "Maret", wajib="1.000.000,50"),
                row(8, m1, "1"),
                row(9, m1, "Januari"),
                row(10, m1, "2", wajib=""),
                row(11, late, "3"),
                row(12, m1, "4", sukarela="abc"),
            ],
        )
    assert e.value.code == "onboarding_rows_invalid"
    assert e.value.message == (
        "Daftar saldo modal akhir bulan berisi kesalahan; tidak ada yang disimpan."
    )
    assert e.value.fields["rows"] == [
        {"row": 2, "field": "member_number", "message": "Anggota X-9 tidak ada."},
        {
            "row": 3,
            "field": "month",
            "message": f"Akhir bulan Juni {Y} tidak sebelum tanggal pindah {format_tanggal(CUTOVER)}; "
            f"saldonya sudah ada di Lumbung. Bulan yang boleh: Januari {Y} sampai Mei {Y}.",
        },
        {
            "row": 4,
            "field": "month",
            "message": f"Bulan Maret {Y - 1} di luar tahun {Y} (tahun tanggal pindah); hanya akhir "
            "bulan sebelum tanggal pindah yang diunggah.",
        },
        {
            "row": 5,
            "field": "month",
            "message": "Bulan tidak valid: 13 (tulis 1 sampai 12, nama bulan seperti Maret, "
            "atau 2025-03).",
        },
        {"row": 6, "field": "pokok", "message": "Pokok tidak boleh negatif."},
        {
            "row": 7,
            "field": "wajib",
            "message": "Wajib harus rupiah utuh, tanpa sen (mis. 1.250.000).",
        },
        {
            "row": 9,
            "field": "month",
            "message": f"Anggota {m1.number} bulan Januari {Y} sudah ada di baris 8.",
        },
        {
            "row": 10,
            "field": "wajib",
            "message": "Wajib kosong; tulis 0 bila tidak ada (atau kosongkan semua angka baris "
            "ini agar bulannya diperkirakan).",
        },
        {
            "row": 11,
            "field": "month",
            "message": f"Anggota {late.number} masuk 10 April {Y}, sesudah akhir Maret {Y}; saat "
            "itu belum menjadi anggota.",
        },
        {
            "row": 12,
            "field": "sukarela",
            "message": "Sukarela 'abc' bukan angka rupiah yang jelas; tulis mis. 1.250.000 atau "
            "1250000.",
        },
    ]
    assert saved() == before


def test_a_month_of_another_year_is_named_in_words_in_english_too(mi, by, members):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ApplicationError) as e:
        capital_balances_post(move_in=mi, by=by, rows=[row(2, members[0], f"{Y - 1}-03")])
    [err] = e.value.fields["rows"]
    assert err["message"].startswith(f"Month March {Y - 1} "), err
    assert f"03/{Y - 1}" not in err["message"] and f"{Y}" in err["message"], err


def test_an_upload_without_any_figure_is_refused_and_keeps_the_list(mi, by, members):
    capital_balances_post(move_in=mi, by=by, rows=[row(2, members[0], "1")])
    with pytest.raises(ApplicationError) as e:
        capital_balances_post(move_in=mi, by=by, rows=[row(2, members[0], "2", pokok="", wajib="")])
    assert e.value.message == (
        "Tidak ada saldo yang diisi (1 baris tanpa angka); tidak ada yang disimpan."
    )
    assert len(saved()) == 1


def test_uploading_again_replaces_the_list(mi, by, members):
    capital_balances_post(
        move_in=mi, by=by, rows=[row(2, members[0], "1"), row(3, members[1], "1")]
    )
    capital_balances_post(move_in=mi, by=by, rows=[row(2, members[2], "5", pokok="0")])
    assert saved() == {(members[2].number, 5): (D("0"), D("1000000"), None)}


def test_months_to_be_estimated_are_the_brought_in_members_not_uploaded(mi, by, agencies):
    members_import(by, CUTOVER, n=2)  # two members, opening balances on the cut-over
    a, b = Member.objects.order_by("number")
    shown = capital_balances_preview(
        move_in=mi, by=by, rows=[row(2, a, "1"), row(3, a, "2"), row(4, b, "2")]
    )
    assert [(m["month_end"].month, m["old_books"], m["estimated"]) for m in shown["months"]] == [
        (1, 1, 1),
        (2, 2, 0),
        (3, 0, 2),
        (4, 0, 2),
        (5, 0, 2),
    ]
    assert not CapitalBalanceBroughtIn.objects.exists()  # a preview saves nothing


def test_undo_removes_the_month_ends_with_the_move_in(mi, by, members):
    capital_balances_post(
        move_in=mi, by=by, rows=[row(2, members[0], "1"), row(3, members[0], "2")]
    )
    move_in_undo(move_in=mi, reason="salah tanggal pindah", by=by)
    assert not CapitalBalanceBroughtIn.objects.exists()
    undo = AuditEvent.objects.filter(action="onboarding.undo").get()
    assert undo.data["capital_month_ends"] == 2
    with pytest.raises(ApplicationError) as e:
        capital_balances_post(move_in=mi, by=by, rows=[row(2, members[0], "1")])
    assert e.value.message == "Proses pindah ini sudah dibatalkan."


def test_refused_once_the_year_is_closed_or_without_months_before_the_cutover(by, members):
    mi = move_in_start(cutover_date=date(Y, 1, 20), by=by)
    with pytest.raises(ApplicationError) as e:
        capital_balances_post(move_in=mi, by=by, rows=[row(2, members[0], "1")])
    assert e.value.message == (
        f"Tanggal pindah 20 Januari {Y}: tidak ada akhir bulan sebelumnya di tahun {Y}, jadi tidak "
        "ada saldo bulanan pembukuan lama yang perlu diunggah."
    )
    move_in_undo(move_in=mi, reason="tanggal salah", by=by)
    mi = move_in_start(cutover_date=CUTOVER, by=by)
    fy = fiscal_year_ensure(year=Y)
    FiscalYear.objects.filter(pk=fy.pk).update(status=FiscalYear.Status.CLOSED)
    with pytest.raises(ApplicationError) as e:
        capital_balances_post(move_in=mi, by=by, rows=[row(2, members[0], "1")])
    assert e.value.message == (
        f"Tahun buku {Y} sudah ditutup; saldo modal tahun itu tidak dapat diubah lagi."
    )
    assert not CapitalBalanceBroughtIn.objects.exists()


def test_database_keeps_month_ends_whole_non_negative_before_the_cutover(mi, members):
    m = members[0]
    good = {"member": m, "cutover": CUTOVER, "pokok": D("1"), "wajib": D("2"), "source_ref": "t"}
    CapitalBalanceBroughtIn.objects.create(month_end=date(Y, 2, 28), **good)
    for bad in (
        {"month_end": date(Y, 2, 27)},  # not a month's last day
        {"month_end": date(Y, 6, 30)},  # the cut-over's own month-end
        {"month_end": date(Y - 1, 12, 31)},  # another year
        {"month_end": date(Y, 3, 31), "pokok": D("-1")},
        {"month_end": date(Y, 3, 31), "wajib": D("1.50")},
        {"month_end": date(Y, 3, 31), "sukarela": D("-5")},
        {"month_end": date(Y, 2, 28)},  # twice
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            CapitalBalanceBroughtIn.objects.create(**{**good, **bad})
    assert CapitalBalanceBroughtIn.objects.count() == 1


# --- the screen ---------------------------------------------------------------------


def xlsx_file(rows: list[list], name="modal.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(["Saldo modal akhir bulan"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = name
    return buf


HEADER = ["no anggota", "nama", "bulan", "pokok", "wajib", "sukarela"]


def upload(c, mi, f):
    """The file through the step's two steps: *Unggah dan pratinjau* shows the preview, its
    confirm saves (``tests/onboarding/test_steps_confirm.py``)."""
    return upload_and_confirm(c, {"action": "capital_balances", "move_in": mi.pk, "file": f})


def test_screen_upload_saves_and_lists_the_month_ends(staff, mi, members):
    c = login(staff["bendahara"])
    page = c.get(URL).content.decode()
    assert "Saldo modal akhir bulan (pembukuan lama)" in page
    assert f"akhir bulan Januari {Y} sampai Mei {Y} ada di pembukuan lama saja" in page
    assert "Belum ada saldo akhir bulan yang disimpan" in page
    m0 = members[0]
    f = xlsx_file(
        [HEADER, [m0.number, "nama tidak diperiksa", "Januari", "100.000", "1.234.567", None]]
    )
    page = upload(c, mi, f).content.decode()
    assert (
        f"Saldo modal akhir bulan {Y} dari pembukuan lama disimpan: 1 anggota, 1 saldo akhir bulan."
        in page
    )
    assert saved() == {(m0.number, 1): (D("100000"), D("1234567"), None)}
    assert "1 saldo akhir bulan untuk 1 anggota tersimpan." in page
    assert (
        "Rp 1.234.567" in page and "Mengunggah lagi menggantikan seluruh daftar di bawah." in page
    )


def test_screen_bad_file_lists_every_row_error_and_saves_nothing(staff, mi, members):
    c = login(staff["bendahara"])
    text = (
        "no anggota;nama;bulan;pokok;wajib\n"
        + f"X-1;A;1;100.000;1.000.000\n{members[0].number};B;Juli;-5;1\n"
    )
    page = upload(c, mi, csv_file(text, "modal.csv")).content.decode()
    assert "Daftar saldo modal akhir bulan berisi kesalahan; tidak ada yang disimpan." in page
    assert "Anggota X-1 tidak ada." in page
    assert f"Akhir bulan Juli {Y} tidak sebelum tanggal pindah" in page
    assert '<td class="mono">bulan</td>' in page  # the column as the file titles it
    assert not CapitalBalanceBroughtIn.objects.exists()


def test_screen_preview_saves_nothing_until_confirmed(staff, mi, members):
    c = login(staff["bendahara"])
    m0 = members[0]
    text = f"no anggota;nama;bulan;pokok;wajib;sukarela\n{m0.number};A;2;100.000;900.000;50.000\n{m0.number};A;3;;;\n"
    form = {"action": "capital_balances", "move_in": mi.pk}
    r = c.post(URL, {**form, "file": csv_file(text, "modal.csv")})
    page = r.content.decode()
    assert "Pratinjau: belum disimpan" in page
    assert "Berkas ini akan menyimpan 1 saldo akhir bulan untuk 1 anggota." in page
    assert "1 baris tanpa angka dilewati (bulannya diperkirakan)." in page
    assert "Rp 900.000" in page and "Rp 50.000" in page
    assert not CapitalBalanceBroughtIn.objects.exists()
    token = page.split('name="token" value="')[1].split('"')[0]
    r = c.post(URL, {"action": "capital_balances_confirm", "token": token}, follow=True)
    page = r.content.decode()
    assert "1 baris tanpa angka dilewati" in page
    assert saved() == {(m0.number, 2): (D("100000"), D("900000"), D("50000"))}
    # a token altered, or made for the other step, saves nothing
    CapitalBalanceBroughtIn.objects.all().delete()
    r = c.post(URL, {"action": "capital_balances_confirm", "token": token[:-2] + "xx"}, follow=True)
    assert "Pratinjau tidak dikenal; unggah berkasnya lagi." in r.content.decode()
    r = c.post(URL, {"action": "shu_contributions_confirm", "token": token}, follow=True)
    assert "Pratinjau ini untuk langkah lain; periksa data langkah ini." in r.content.decode()
    assert not CapitalBalanceBroughtIn.objects.exists()


def test_template_lists_each_members_months_and_goes_back_in(staff, mi, members):
    c = login(staff["bendahara"])
    late = f.member(full_name="Masuk Maret", join_date=date(Y, 3, 1))
    capital_balances_post(
        move_in=mi, by=staff["bendahara"], rows=[row(2, members[0], "2", sukarela="7")]
    )
    r = c.get("/pindah/templat/capital_balances.xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [list(v) for v in ws.iter_rows(values_only=True)]
    at = values.index(HEADER)
    data = values[at + 1 :]
    assert [d[2] for d in data if d[0] == late.number] == [f"{Y}-03", f"{Y}-04", f"{Y}-05"]
    assert [d for d in data if d[0] == members[0].number][1] == [
        members[0].number,
        members[0].full_name,
        f"{Y}-02",
        100000,
        1000000,
        7,
    ]
    assert all(d[3:] == [None, None, None] for d in data if d[0] == members[1].number)
    # filled in and sent back: the rows with figures replace the list
    for d in data:
        if d[0] == late.number and d[2] == f"{Y}-04":
            d[3:] = ["100.000", "50.000", None]
    page = upload(c, mi, xlsx_file([HEADER, *data])).content.decode()
    assert "2 saldo akhir bulan." in page
    assert saved() == {
        (members[0].number, 2): (D("100000"), D("1000000"), D("7")),
        (late.number, 4): (D("100000"), D("50000"), None),
    }


# --- the API ------------------------------------------------------------------------


def test_api_saves_previews_refuses_and_reports(staff, mi, members):
    c = login(staff["bendahara"])
    m0, m1, _m2 = members
    rows = [row(2, m0, "1", sukarela="0"), row(3, m1, f"{Y}-02", wajib="750000")]
    r = c.post(API, {"rows": rows, "preview": True}, "application/json")
    assert r.status_code == 200, r.content
    assert r.json()["preview"] is True and r.json()["rows"] == 2
    assert not CapitalBalanceBroughtIn.objects.exists()
    r = c.post(API, {"rows": rows}, "application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["year"], body["cutover"], body["members"], body["rows"]) == (
        Y,
        CUTOVER.isoformat(),
        2,
        2,
    )
    assert (
        body["lines"]
        == [
            {
                "member_number": m0.number,
                "month_end": f"{Y}-01-31",
                "pokok": "100000",
                "wajib": "1000000",
                "sukarela": "0",
            },
            {
                "member_number": m1.number,
                "month_end": FEB.isoformat(),
                "pokok": "100000",
                "wajib": "750000",
                "sukarela": None,
            },
        ]
        or body["lines"][1]["month_end"] == f"{Y}-02-29"
    )
    assert body["months"][0] == {"month_end": f"{Y}-01-31", "old_books": 1, "estimated": 0}
    got = c.get("/api/v1/onboarding/").json()["move_in"]["capital_balances"]
    assert (got["year"], got["members"], got["rows"]) == (Y, 2, 2)
    r = c.post(API, {"rows": [row(2, "X-1", "1"), row(3, m0, "1", pokok="-1")]}, "application/json")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "onboarding_rows_invalid"
    assert err["fields"]["rows"] == [
        {"row": 2, "field": "member_number", "message": "Anggota X-1 tidak ada."},
        {"row": 3, "field": "pokok", "message": "Pokok tidak boleh negatif."},
    ]
    assert len(saved()) == 2
    text = f"no anggota;bulan;pokok;wajib\n{m0.number};Mei;1.000;2.000\n"
    r = c.post(API, {"file": csv_file(text, "modal.csv")})
    assert r.status_code == 201, r.content
    assert saved() == {(m0.number, 5): (D("1000"), D("2000"), None)}
    r = login(staff["petugas"]).post(API, {"rows": rows}, "application/json")
    assert r.status_code == 403
    assert len(saved()) == 1


# --- step 4a's preview, the same mechanism ------------------------------------------


def test_jasa_preview_on_screen_and_by_api_saves_nothing_until_confirmed(staff, mi, members):
    from core.loans.models import JasaPaidBroughtIn

    c = login(staff["bendahara"])
    m0 = members[0]
    text = f"no anggota;nama;jasa dibayar\n{m0.number};A;1.250.000\n"
    r = c.post(
        URL,
        {
            "action": "shu_contributions",
            "move_in": mi.pk,
            "file": csv_file(text, "j.csv"),
        },
        follow=True,
    )
    page = r.content.decode()
    assert "Berkas ini akan menyimpan jasa 1 anggota, total Rp 1.250.000." in page
    assert not JasaPaidBroughtIn.objects.exists()
    token = page.split('name="token" value="')[1].split('"')[0]
    r = c.post(URL, {"action": "shu_contributions_confirm", "token": token}, follow=True)
    assert f"Jasa pinjaman {Y} dari pembukuan lama disimpan: 1 anggota, total Rp 1.250.000." in (
        r.content.decode()
    )
    assert JasaPaidBroughtIn.objects.get().amount == D("1250000")
    r = c.post(
        "/api/v1/onboarding/shu-contributions/",
        {"rows": [{"row": 2, "member_number": m0.number, "jasa": "5"}], "preview": True},
        "application/json",
    )
    assert r.status_code == 200
    assert r.json()["lines"] == [{"member_number": m0.number, "jasa": "5"}]
    assert JasaPaidBroughtIn.objects.get().amount == D("1250000")
