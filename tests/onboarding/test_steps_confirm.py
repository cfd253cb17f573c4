"""Steps 4 (running loans), 4a (jasa paid in the old books) and 4b (capital month-ends in
the old books) save in two steps on the screen, like the trial balance of step 2. Their
own button (then *Bawa pinjaman*, *Simpan daftar jasa*, *Simpan daftar saldo*) pressed
without *Periksa dulu* used to save the file at once: the treasurer never saw what it
would write. Now the first press (*Unggah dan pratinjau*) writes nothing and shows the
preview — the lines, the totals — with a confirm button naming what it saves; only the
confirm saves, and exactly the file shown (another file
sent with the confirm is refused, nothing written). A file with row errors is refused,
every error listed, nothing written, no confirm."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.loans.models import JasaPaidBroughtIn, Loan
from core.onboarding.models import UploadPreview
from core.onboarding.services import move_in_start, trial_balance_post
from core.savings.models import CapitalBalanceBroughtIn

from .helpers import arrears_row, confirm_form, loan_row, nothing_to_confirm, tb_rows
from .test_preview import loans_csv
from .test_screens import csv_file, login

URL = "/pindah/"
# a cut-over on 30 June of last year: the month-ends January to May are the old books'
CUTOVER = date(timezone.localdate().year - 1, 6, 30)


@dataclass(frozen=True)
class Step:
    action: str
    card: str  # the preview's card on the page
    notice: str  # what the preview says: nothing saved yet, press the confirm (named)
    saved_message: str


LOANS = Step(
    "loans",
    "loans-preview",
    "Belum disimpan: periksa total dan baris di bawah, lalu tekan Simpan pinjaman berjalan ini.",
    "2 pinjaman berjalan dibawa.",
)
JASA = Step(
    "shu_contributions",
    "jasa-preview",
    "Belum disimpan: periksa total dan baris di bawah, lalu tekan Simpan daftar jasa ini.",
    f"Jasa pinjaman {CUTOVER.year} dari pembukuan lama disimpan: 2 anggota, total Rp 1.534.567.",
)
CAPITAL = Step(
    "capital_balances",
    "capital-preview",
    "Belum disimpan: periksa total dan baris di bawah, lalu tekan Simpan saldo akhir bulan ini.",
    f"Saldo modal akhir bulan {CUTOVER.year} dari pembukuan lama disimpan: 2 anggota, "
    "3 saldo akhir bulan.",
)


@pytest.fixture
def mi(by, members, product):
    """A move-in whose trial balance is posted (the loans' step needs it)."""
    made = move_in_start(cutover_date=CUTOVER, by=by)
    trial_balance_post(move_in=made, rows=tb_rows(), by=by)
    return made


def good_file(step: Step, members) -> str:
    m0, m1, _m2 = members
    if step is LOANS:
        return loans_csv([loan_row(m0, CUTOVER), arrears_row(m1, CUTOVER)])
    if step is JASA:
        return f"no anggota;nama;jasa dibayar\n{m0.number};A;1.234.567\n{m1.number};B;300.000\n"
    return (
        "no anggota;nama;bulan;pokok;wajib;sukarela\n"
        f"{m0.number};A;1;100.000;1.000.000;50.000\n"
        f"{m0.number};A;2;100.000;1.100.000;\n"
        f"{m1.number};B;1;100.000;2.000.000;25.000\n"
    )


def bad_file(step: Step, members) -> str:
    m0 = members[0]
    if step is LOANS:
        return loans_csv(
            [loan_row(m0, CUTOVER, outstanding="5.000.001"), loan_row(m0, CUTOVER, row=3)]
        )
    if step is JASA:
        return f"no anggota;nama;jasa dibayar\n{m0.number};A;100.000\nX-404;B;5\n"
    return f"no anggota;nama;bulan;pokok;wajib\n{m0.number};A;1;100.000;1.000.000\nX-404;B;1;1;1\n"


def saved(step: Step) -> dict:
    """What the step wrote, as the figures it wrote."""
    if step is LOANS:
        return {
            ln.number: (ln.member.number, ln.principal, ln.principal_outstanding)
            for ln in Loan.objects.filter(number__startswith="LAMA-")
        }
    if step is JASA:
        return dict(JasaPaidBroughtIn.objects.values_list("member__number", "amount"))
    return {
        (number, end.month): (pokok, wajib, sukarela)
        for number, end, pokok, wajib, sukarela in CapitalBalanceBroughtIn.objects.values_list(
            "member__number", "month_end", "pokok", "wajib", "sukarela"
        )
    }


def press(c, mi, step: Step, text: str, **extra):
    """The step's own button (*Unggah dan pratinjau*): what used to save at once."""
    form = {"action": step.action, "move_in": mi.pk, **extra}
    return c.post(URL, {**form, "file": csv_file(text, f"{step.action}.csv")})


def card(page: str, step: Step) -> str:
    m = re.search(rf'<div id="{step.card}" class="card">.*?</form>\s*</div>', page, re.S)
    return m.group(0) if m else ""


STEPS = pytest.mark.parametrize("step", [LOANS, JASA, CAPITAL], ids=lambda s: s.action)


@STEPS
def test_the_first_press_of_the_steps_button_writes_nothing_and_shows_the_preview(
    staff, mi, members, step
):
    c = login(staff["bendahara"])
    r = press(c, mi, step, good_file(step, members))
    assert r.status_code == 200
    page = r.content.decode()
    assert saved(step) == {}
    assert step.notice in page
    shown = card(page, step)
    assert "Pratinjau: belum disimpan" in shown
    assert confirm_form(page, f"{step.action}_confirm")["token"]
    m0, m1 = members[0].number, members[1].number
    if step is LOANS:
        assert "akan membawa 2 pinjaman berjalan dengan sisa pokok Rp 12.000.000" in shown
        total = re.search(r"<tfoot>.*?</tfoot>", shown, re.S).group(0)
        # principal, outstanding, arrears principal, arrears jasa
        assert re.findall(r'<th class="num">([^<]*)</th>', total)[:4] == [
            "Rp 24.000.000",
            "Rp 12.000.000",
            "Rp 2.000.000",
            "Rp 240.000",
        ]
        assert "Total (2)" in total and "LAMA-002" in shown and "LAMA-003" in shown
    elif step is JASA:
        assert "Berkas ini akan menyimpan jasa 2 anggota, total Rp 1.534.567." in shown
        assert re.search(r"Total \(2\)</th><th class=\"num\">Rp 1.534.567</th>", shown)
        assert m0 in shown and m1 in shown
    else:
        assert "Berkas ini akan menyimpan 3 saldo akhir bulan untuk 2 anggota." in shown
        # the totals of what would be saved: pokok, wajib, sukarela
        total = re.search(r"<tfoot>.*?</tfoot>", shown, re.S).group(0)
        assert "Total (3)" in total
        assert re.findall(r'<th class="num">([^<]*)</th>', total) == [
            "Rp 300.000",
            "Rp 4.100.000",
            "Rp 75.000",
        ]
    assert UploadPreview.objects.get(kind=step.action).file_name == f"{step.action}.csv"


@STEPS
def test_the_confirm_writes_exactly_the_preview(staff, mi, members, step):
    c = login(staff["bendahara"])
    page = press(c, mi, step, good_file(step, members)).content.decode()
    fields = confirm_form(page, f"{step.action}_confirm")
    r = c.post(URL, fields, follow=True)
    assert step.saved_message in r.content.decode()
    m0, m1 = members[0].number, members[1].number
    expected = {
        "loans": {
            "LAMA-002": (m0, D("12000000"), D("5000000")),
            "LAMA-003": (m1, D("12000000"), D("7000000")),
        },
        "shu_contributions": {m0: D("1234567"), m1: D("300000")},
        "capital_balances": {
            (m0, 1): (D("100000"), D("1000000"), D("50000")),
            (m0, 2): (D("100000"), D("1100000"), None),
            (m1, 1): (D("100000"), D("2000000"), D("25000")),
        },
    }[step.action]
    assert saved(step) == expected
    assert not UploadPreview.objects.exists()
    # a second confirm (a double click) writes nothing more
    page = c.post(URL, fields, follow=True).content.decode()
    assert "Pratinjau ini sudah disimpan, dibatalkan atau kedaluwarsa" in page
    assert saved(step) == expected


@STEPS
def test_another_file_sent_with_the_confirm_is_refused(staff, mi, members, step):
    c = login(staff["bendahara"])
    good = good_file(step, members)
    page = press(c, mi, step, good).content.decode()
    fields = confirm_form(page, f"{step.action}_confirm")
    other = good.replace("100.000", "200.000").replace("1.234.567", "2.234.567")
    if step is LOANS:
        other = good.replace("LAMA-002", "LAMA-012")
    assert other != good
    r = c.post(URL, {**fields, "file": csv_file(other, f"{step.action}.csv")}, follow=True)
    page = r.content.decode()
    assert "Berkas ini bukan berkas yang diperiksa di pratinjau; tidak ada yang disimpan." in page
    assert saved(step) == {}
    # the kept preview is still there: the same file, or none, then saves it
    r = c.post(URL, {**fields, "file": csv_file(good, f"{step.action}.csv")}, follow=True)
    assert step.saved_message in r.content.decode()
    assert saved(step)


@STEPS
def test_a_file_with_row_errors_is_refused_nothing_written_no_confirm(staff, mi, members, step):
    c = login(staff["bendahara"])
    r = press(c, mi, step, bad_file(step, members))
    page = r.content.decode()
    assert r.status_code == 200
    assert "berisi kesalahan; tidak ada yang disimpan." in page
    assert "Laporan kesalahan per baris" in page
    assert f"{step.action}_confirm" not in page and step.notice not in page
    assert saved(step) == {}
    nothing_to_confirm()  # a refused file is held for the form, never confirmable
