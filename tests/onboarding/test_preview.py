"""Previews of the move-in's uploads (*Unggah dan pratinjau*, then the confirm): the
confirm form is small whatever the file's size, so a preview of the largest
cooperative's file can be confirmed; what is confirmed is checked again."""

import re
from datetime import date, timedelta
from decimal import Decimal as D
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from core.ledger.models import Account, JournalEntry
from core.loans.models import JasaPaidBroughtIn, Loan
from core.members.models import Agency, Member
from core.onboarding.loans_import import loans_import
from core.onboarding.models import UploadPreview
from core.onboarding.services import move_in_start, move_in_undo, trial_balance_post
from core.savings.models import CapitalBalanceBroughtIn
from tests.members import factories as f

from .helpers import arrears_row, confirm_form, loan_row, nothing_to_confirm, tb_rows
from .test_screens import csv_file, login

URL = "/pindah/"
# a cut-over on 31 December: the eleven month-ends January to November are the old books'
CUTOVER = date(timezone.localdate().year - 1, 12, 31)
# the largest cooperatives: about 20,000 members, each with eleven month-ends in step 4b
LARGEST_ROWS = 20_000 * 11


def bulk_members(n: int, tag: str) -> list[Member]:
    """``n`` members made at once (not through the service: only their numbers and dates
    matter here)."""
    agency = Agency.objects.get_or_create(code="DISDIK", defaults={"name": "Dinas Pendidikan"})[0]
    made = []
    for i in range(n):
        nip, nik = f.unique_ids()
        made.append(
            Member(
                number=f"{tag}{i:05d}",
                full_name=f"Anggota {tag} {i}",
                nip=nip,
                nik=nik,
                agency=agency,
                join_date=date(2015, 1, 2),
            )
        )
    return Member.objects.bulk_create(made)


def capital_csv(members: list[Member]) -> tuple[str, int]:
    """Month-ends January to November of each member, amounts as the old books would have
    them (wajib growing every month, some sukarela)."""
    lines = ["no anggota;nama;bulan;pokok;wajib;sukarela"]
    for i, m in enumerate(members):
        for month in range(1, 12):
            wajib = 1_250_000 + (i % 37) * 25_000 + month * (50_000 + i % 7 * 5_000)
            sukarela = "" if i % 3 else str(300_000 + i * 1_013 % 900_000 + month * 12_500)
            lines.append(f"{m.number};{m.full_name};{month};100.000;{wajib};{sukarela}")
    return "\n".join(lines) + "\n", len(lines) - 1


@pytest.fixture
def mi(by):
    return move_in_start(cutover_date=CUTOVER, by=by)


def test_largest_capital_preview_confirms_with_a_small_form(staff, mi):
    members = bulk_members(200, "BSR")
    text, rows = capital_csv(members)
    assert rows == 2_200
    c = login(staff["bendahara"])
    r = c.post(
        URL,
        {
            "action": "capital_balances",
            "move_in": mi.pk,
            "file": csv_file(text, "modal.csv"),
        },
    )
    page = r.content.decode()
    assert "Berkas ini akan menyimpan 2200 saldo akhir bulan untuk 200 anggota." in page
    fields = confirm_form(page, "capital_balances_confirm")
    body = len(urlencode(fields))
    # the form grows at most with the rows: the largest cooperative's must still be a body
    # Django accepts (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB), else *Simpan* is a 400
    assert body * LARGEST_ROWS / rows < settings.DATA_UPLOAD_MAX_MEMORY_SIZE, body
    assert body < 1024
    assert not CapitalBalanceBroughtIn.objects.filter(member__in=members).exists()
    r = c.post(URL, fields, follow=True)
    assert (
        f"Saldo modal akhir bulan {CUTOVER.year} dari pembukuan lama disimpan: 200 anggota, "
        "2200 saldo akhir bulan." in r.content.decode()
    )
    assert CapitalBalanceBroughtIn.objects.filter(member__in=members).count() == 2_200
    assert not UploadPreview.objects.filter(move_in=mi).exists()  # the kept file is gone


# --- the kept file: only its maker, once, within two hours, unchanged ------------------


def jasa_preview(c, mi, member, jasa="1.250.000") -> dict:
    text = f"no anggota;nama;jasa dibayar\n{member.number};A;{jasa}\n"
    r = c.post(
        URL,
        {
            "action": "shu_contributions",
            "move_in": mi.pk,
            "file": csv_file(text, "jasa.csv"),
        },
    )
    assert "Berkas ini akan menyimpan jasa 1 anggota" in r.content.decode()
    return confirm_form(r.content.decode(), "shu_contributions_confirm")


def test_preview_is_confirmed_once_by_its_maker(staff, mi, members):
    c = login(staff["bendahara"])
    fields = jasa_preview(c, mi, members[0])
    kept = UploadPreview.objects.get(move_in=mi, kind="shu_contributions")
    assert (kept.created_by, kept.file_name, len(kept.sha256)) == (
        staff["bendahara"],
        "jasa.csv",
        64,
    )
    page = login(staff["admin"]).post(URL, fields, follow=True).content.decode()
    assert "Pratinjau ini dibuat oleh pengguna lain; unggah berkasnya sendiri." in page
    assert not JasaPaidBroughtIn.objects.exists()
    c.post(URL, fields)
    assert JasaPaidBroughtIn.objects.get().amount == D("1250000")
    assert not UploadPreview.objects.filter(pk=kept.pk).exists()
    page = c.post(URL, fields, follow=True).content.decode()  # sent again (a double click)
    assert "Pratinjau ini sudah disimpan, dibatalkan atau kedaluwarsa" in page
    assert JasaPaidBroughtIn.objects.count() == 1


def test_preview_expired_or_altered_is_refused_and_saves_nothing(staff, mi, members):
    c = login(staff["bendahara"])
    fields = jasa_preview(c, mi, members[0])
    UploadPreview.objects.filter(move_in=mi).update(content=b"no anggota;jasa\nX;1\n")
    page = c.post(URL, fields, follow=True).content.decode()
    assert "Pratinjau tidak dikenal; unggah berkasnya lagi." in page
    fields = jasa_preview(c, mi, members[1])
    UploadPreview.objects.filter(move_in=mi).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = c.post(URL, fields, follow=True).content.decode()
    assert "Pratinjau sudah kedaluwarsa (lebih dari 2 jam); unggah berkasnya lagi." in page
    assert not JasaPaidBroughtIn.objects.exists()
    # the expired ones go; a fresh preview clears the others that expired
    UploadPreview.objects.filter(move_in=mi).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    jasa_preview(c, mi, members[2])
    assert UploadPreview.objects.filter(move_in=mi).count() == 1


def test_undo_removes_the_previews_of_the_move_in(staff, by, mi, members):
    c = login(staff["bendahara"])
    fields = jasa_preview(c, mi, members[0])
    move_in_undo(move_in=mi, reason="salah tanggal", by=by)
    assert not UploadPreview.objects.filter(move_in=mi).exists()
    page = c.post(URL, fields, follow=True).content.decode()
    assert "Pratinjau ini sudah disimpan, dibatalkan atau kedaluwarsa" in page
    assert not JasaPaidBroughtIn.objects.exists()


# --- step 2: the opening trial balance -------------------------------------------------


def test_trial_balance_preview_shows_the_entry_and_posts_it_when_confirmed(staff, move_in, cutover):
    c = login(staff["bendahara"])
    text = (
        "akun;debit;kredit\n1101;50.000.000;\nGedung Serbaguna;4.000.000;\n"
        "3102;;3.000.000\n3103;;51.000.000\n"
    )
    mapping = "Gedung Serbaguna = 1299; Gedung Serbaguna; 12"
    r = c.post(
        URL,
        {
            "action": "trial_balance",
            "move_in": move_in.pk,
            "mapping": mapping,
            "file": csv_file(text, "neraca.csv"),
        },
    )
    page = r.content.decode()
    assert "Pratinjau: belum diposting" in page
    assert (
        f"neraca.csv akan diposting sebagai satu jurnal saldo awal bertanggal "
        f"{date_format(cutover)}: 4 baris, total debit dan total kredit masing-masing "
        "Rp 54.000.000." in page
    )
    assert "1 akun baru akan dibuat." in page and "akun baru di bawah 12" in page
    clearing = Account.objects.get(code="3106")
    assert f"dicatat di 3106 {clearing.name}; rincian per anggota dibawa impor anggota" in page
    assert "Rp 50.000.000" in page and "Rp 3.000.000" in page
    # nothing written: no entry, no account
    assert not JournalEntry.objects.filter(source="opening").exists()
    assert not Account.objects.filter(code="1299").exists()
    fields = confirm_form(page, "trial_balance_confirm")
    r = c.post(URL, fields, follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    entry = JournalEntry.objects.get(source="opening")
    lines = {ln.account.code: (ln.debit, ln.credit) for ln in entry.lines.all()}
    assert lines == {
        "1101": (D("50000000"), D("0")),
        "1299": (D("4000000"), D("0")),  # the mapping came with the kept file
        "3106": (D("0"), D("3000000")),
        "3103": (D("0"), D("51000000")),
    }
    assert not UploadPreview.objects.filter(move_in=move_in).exists()


def test_trial_balance_preview_lists_row_errors_and_keeps_nothing(staff, move_in):
    c = login(staff["bendahara"])

    def preview(text, mapping=""):
        return c.post(
            URL,
            {
                "action": "trial_balance",
                "move_in": move_in.pk,
                "mapping": mapping,
                "file": csv_file(text, "neraca.csv"),
            },
        ).content.decode()

    page = preview(
        "akun;debit;kredit\n1101;100;\nGedung;50;\nAula;10;\n3103;;160\n",
        "Gedung = 1299; Gedung; 99\nAula = 1101; Aula; 12",
    )
    assert "Laporan kesalahan per baris" in page
    assert "Akun induk &#x27;99&#x27; tidak ada." in page
    assert "Kode akun 1101 sudah dipakai." in page
    assert "Pratinjau: belum diposting" not in page
    page = preview("akun;debit;kredit\n1101;100;\n3103;;90\n")
    assert "Neraca saldo tidak seimbang: debit Rp 100, kredit Rp 90, selisih Rp 10." in page
    nothing_to_confirm()  # a refused file is held for the form, never confirmable
    assert not JournalEntry.objects.filter(source="opening").exists()


def grid_form(page: str) -> dict:
    """The hidden fields of the trial-balance grid's form (the reference *Hitung total*
    gave, once the grid checked)."""
    form = next(
        fm
        for fm in re.findall(r"<form\b.*?</form>", page, re.S)
        if 'value="trial_balance_grid_total"' in fm
    )
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


GRID = {"debit_1101": "1.234.567", "debit_1102": "100.000", "credit_3103": "1.334.567"}


def grid_total(c) -> dict:
    page = c.post(URL, {"action": "trial_balance_grid_total", **GRID}).content.decode()
    assert "seimbang" in page
    return grid_form(page)


def test_grid_altered_after_hitung_total_is_refused_then_the_previewed_figures_post(
    staff, move_in, cutover
):
    c = login(staff["bendahara"])
    hidden = grid_total(c)
    # an amount changed after *Hitung total* (still balanced): refused, nothing posted
    altered = {**GRID, "debit_1102": "200.000", "credit_3103": "1.434.567"}
    r = c.post(URL, {**hidden, "action": "trial_balance_grid", **altered})
    assert not JournalEntry.objects.filter(source="opening").exists()
    page = r.content.decode()
    assert r.status_code == 200
    assert "Angka di tabel berubah sejak pratinjau (1102, 3103)" in page
    assert UploadPreview.objects.filter(move_in=move_in, kind="trial_balance").count() == 1
    assert 'value="200.000"' in page  # what was typed is kept, with the reference
    assert grid_form(page)["token"] == hidden["token"]
    assert not JournalEntry.objects.filter(source="opening").exists()
    # sent again unchanged: refused again (the reference still names the figures shown)
    r = c.post(URL, {**grid_form(page), "action": "trial_balance_grid", **altered})
    assert "Angka di tabel berubah sejak pratinjau" in r.content.decode()
    assert not JournalEntry.objects.filter(source="opening").exists()
    # the figures previewed: posted, the kept preview gone
    r = c.post(URL, {**hidden, "action": "trial_balance_grid", **GRID}, follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    entry = JournalEntry.objects.get(source="opening")
    assert {ln.account.code: (ln.debit, ln.credit) for ln in entry.lines.all()} == {
        "1101": (D("1234567"), D("0")),
        "1102": (D("100000"), D("0")),
        "3103": (D("0"), D("1334567")),
    }
    assert entry.date == cutover
    assert not UploadPreview.objects.filter(move_in=move_in).exists()


def test_grid_reference_is_its_makers_and_only_once(staff, move_in):
    c = login(staff["bendahara"])
    hidden = grid_total(c)
    page = (
        login(staff["admin"])
        .post(URL, {**hidden, "action": "trial_balance_grid", **GRID})
        .content.decode()
    )
    assert "Pratinjau ini dibuat oleh pengguna lain; periksa datanya sendiri." in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    UploadPreview.objects.filter(move_in=move_in).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = c.post(URL, {**hidden, "action": "trial_balance_grid", **GRID}).content.decode()
    assert "Pratinjau sudah kedaluwarsa (lebih dari 2 jam); periksa datanya lagi." in page
    assert not JournalEntry.objects.filter(source="opening").exists()


def test_grid_with_errors_keeps_no_preview(staff, move_in):
    c = login(staff["bendahara"])
    page = c.post(
        URL, {"action": "trial_balance_grid_total", **GRID, "credit_3103": "1.300.000"}
    ).content.decode()
    assert "selisih" in page and "Pratinjau: belum diposting" not in page
    assert "token" not in grid_form(page)
    page = c.post(
        URL, {"action": "trial_balance_grid_total", **GRID, "debit_1102": "12,5,0"}
    ).content.decode()
    assert "Laporan kesalahan per baris" in page and "token" not in grid_form(page)
    assert not UploadPreview.objects.filter(move_in=move_in).exists()


# --- step 4: running loans -------------------------------------------------------------

LOAN_FIELDS = [
    "member_number",
    "product_code",
    "loan_number",
    "principal",
    "disbursed_on",
    "tenor",
    "outstanding",
    "instalments_paid",
    "arrears_jasa",
    "arrears_principal",
]


def loans_csv(rows: list[dict]) -> str:
    lines = [";".join(LOAN_FIELDS)]
    lines += [";".join(str(r.get(k, "")) for k in LOAN_FIELDS) for r in rows]
    return "\n".join(lines) + "\n"


def loans_preview(c, move_in, rows) -> str:
    return c.post(
        URL,
        {
            "action": "loans",
            "move_in": move_in.pk,
            "file": csv_file(loans_csv(rows), "pinjaman.csv"),
        },
    ).content.decode()


def test_loans_preview_shows_loans_grades_and_control_accounts_then_brings_them_in(
    staff, move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = login(by)
    page = loans_preview(
        c, move_in, [loan_row(members[0], cutover), arrears_row(members[1], cutover)]
    )
    assert "Pratinjau: belum disimpan" in page
    assert (
        "pinjaman.csv akan membawa 2 pinjaman berjalan dengan sisa pokok Rp 12.000.000 per "
        f"{date_format(cutover)}; 1 di antaranya menunggak." in page
    )
    assert "LAMA-002" in page and "LAMA-003" in page
    assert "Rp 240.000" in page and "Rp 2.000.000" in page  # arrears jasa and principal
    assert "Lancar" in page
    # the control accounts as the reconciliation will compare them: all agree
    receivable = Account.objects.get(code="1103")
    row = re.search(rf"{receivable.code} {re.escape(receivable.name)}</td>(.*?)</tr>", page)
    assert row and row.group(1).count("Rp 12.000.000") == 2 and row.group(1).endswith(">0</td>")
    assert not Loan.objects.filter(number__in=["LAMA-002", "LAMA-003"]).exists()
    r = c.post(URL, confirm_form(page, "loans_confirm"), follow=True)
    assert "2 pinjaman berjalan dibawa." in r.content.decode()
    loans = Loan.objects.filter(number__in=["LAMA-002", "LAMA-003"])
    assert sorted(ln.principal_outstanding for ln in loans) == [D("5000000"), D("7000000")]
    assert not UploadPreview.objects.filter(move_in=move_in).exists()


def test_loans_confirm_checks_the_file_again(staff, move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = login(by)
    page = loans_preview(c, move_in, [arrears_row(members[1], cutover, loan_number="LAMA-009")])
    fields = confirm_form(page, "loans_confirm")
    # meanwhile the same loan number came in another way
    loans_import(
        move_in=move_in, rows=[loan_row(members[0], cutover, loan_number="LAMA-009")], by=by
    )
    page = c.post(URL, fields, follow=True).content.decode()
    assert "Data pinjaman berisi kesalahan; tidak ada yang disimpan." in page
    assert "Pinjaman LAMA-009 sudah ada di Lumbung." in page
    assert Loan.objects.get(number="LAMA-009").member == members[0]


def test_loans_preview_of_a_bad_file_lists_row_errors(
    staff, move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    page = loans_preview(
        login(by), move_in, [loan_row(members[0], cutover, outstanding="5.000.001")]
    )
    assert "Laporan kesalahan per baris" in page
    assert "Sisa pokok Rp 5.000.001 tidak dapat dihasilkan jadwal ini" in page
    assert "Pratinjau: belum disimpan" not in page
    nothing_to_confirm()  # a refused file is held for the form, never confirmable


def test_api_previews_trial_balance_and_loans_and_writes_nothing(
    staff, move_in, by, members, product, cutover
):
    c = login(by)
    r = c.post(
        "/api/v1/onboarding/trial-balance/",
        {"rows": tb_rows(), "preview": True},
        "application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["preview"] is True and body["total"] == "62240000"
    wajib = next(x for x in body["lines"] if x["account"] == "3102")
    assert (wajib["credit"], wajib["posted_to"]) == ("2500000", "3106")
    assert not JournalEntry.objects.filter(source="opening").exists()
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    rows = [loan_row(members[0], cutover), arrears_row(members[1], cutover)]
    r = c.post("/api/v1/onboarding/loans/", {"rows": rows, "preview": True}, "application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["loans"], body["outstanding"], body["arrears_jasa"]) == (2, "12000000", "240000")
    assert body["lines"][1]["kolektibilitas"] == "lancar"
    assert {c["account"]: c["difference"] for c in body["controls"]} == {
        "1103": "0",
        "1104": "0",
        "1105": "0",
    }
    assert not Loan.objects.filter(number__in=["LAMA-002", "LAMA-003"]).exists()


def test_hidden_rows_checked_at_the_preview_stay_checked_at_the_confirm(staff, move_in):
    from .test_hidden_rows import _tb_file

    c = login(staff["bendahara"])
    form = {"action": "trial_balance", "move_in": move_in.pk}
    page = c.post(URL, {**form, "file": _tb_file()}).content.decode()
    assert "1 baris tersembunyi di Excel ikut dibaca (baris 3)" in page
    page = c.post(URL, {**form, "file": _tb_file(), "hidden_rows_ok": "on"}).content.decode()
    assert "(termasuk 1 baris tersembunyi (baris 3))" in page  # said on the preview
    r = c.post(URL, confirm_form(page, "trial_balance_confirm"), follow=True)
    assert "(termasuk 1 baris tersembunyi (baris 3))" in r.content.decode()
    entry = JournalEntry.objects.get(source="opening")
    assert sum(ln.debit for ln in entry.lines.all()) == 150


def test_expired_previews_are_deleted_daily_in_every_cooperative(staff, mi, members):
    from core.onboarding.tasks import upload_previews_clear_expired_task

    c = login(staff["bendahara"])
    jasa_preview(c, mi, members[0])
    jasa_preview(c, mi, members[1])
    first, second = UploadPreview.objects.filter(move_in=mi).order_by("pk")
    UploadPreview.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    assert upload_previews_clear_expired_task.run() >= 1  # other tests' expired ones go too
    assert list(UploadPreview.objects.filter(move_in=mi)) == [second]
    every = settings.CELERY_BEAT_SCHEDULE["onboarding-previews-clear-expired"]
    assert every["task"] == "tenants.tasks.every_cooperative_task"
    assert every["args"][0] == "core.onboarding.tasks.upload_previews_clear_expired_task"
