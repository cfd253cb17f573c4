"""The opening trial balance uploaded as a file is posted in two steps, like the grid.
*Posting neraca saldo awal* pressed on the upload form without *Periksa dulu* used to post
the file at once: the treasurer never saw the totals, the lines, nor whether debit equalled
credit. Now the first press shows what would be posted — total debit, total credit, the
difference, each line — with a confirm button, and posts nothing; only the confirm posts,
and only the file shown (kept, its reference in the confirm form: a kept file changed
since, another file sent with the confirm, or an altered reference are refused, nothing
posted). An unbalanced or invalid file is refused with its difference or its row errors,
no confirm button."""

import re
from decimal import Decimal as D

from core.ledger.models import JournalEntry
from core.onboarding.models import MoveIn, UploadPreview

from .helpers import move_in_started, nothing_to_confirm, opening_not_posted
from .test_grid_confirm import _grid_form
from .test_screens import csv_file, login

URL = "/pindah/"
GOOD = "akun;debit;kredit\n1101;1.234.567;\n1102;100.000;\n3103;;1.334.567\n"
OTHER = "akun;debit;kredit\n1101;2.234.567;\n1102;100.000;\n3103;;2.334.567\n"


def _post_file(c, text: str, **extra):
    form = {"action": "trial_balance", "move_in": MoveIn.objects.get().pk, **extra}
    return c.post(URL, {**form, "file": csv_file(text, "neraca.csv")})


def _preview(page: str) -> str:
    m = re.search(r'<div id="tb-preview" class="card">.*?</form>\s*</div>', page, re.S)
    return m.group(0) if m else ""


def _confirm(page: str) -> dict:
    form = next(
        fm
        for fm in re.findall(r"<form\b.*?</form>", page, re.S)
        if 'value="trial_balance_confirm"' in fm
    )
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_posting_a_file_first_shows_totals_and_lines_and_posts_nothing(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    r = _post_file(c, GOOD)
    assert r.status_code == 200
    page = r.content.decode()
    opening_not_posted()
    assert "Belum diposting: periksa total dan baris di bawah" in page
    shown = _preview(page)
    assert "Pratinjau: belum diposting" in shown
    # the totals: debit, credit, their difference
    assert "Total debit Rp 1.334.567" in shown and "total kredit Rp 1.334.567" in shown
    assert "selisih Rp 0" in shown
    # each line of the file as it will be posted, with its row in the sheet
    lines = re.findall(
        r'<tr><td class="num">(\d+)</td><td class="mono">(\d+)</td><td>[^<]*</td>'
        r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td>',
        shown,
    )
    assert lines == [
        ("2", "1101", "Rp 1.234.567", ""),
        ("3", "1102", "Rp 100.000", ""),
        ("4", "3103", "", "Rp 1.334.567"),
    ]
    # the confirm: a button, and the reference of the file shown
    assert "Posting neraca saldo awal ini" in shown
    assert _confirm(page)["token"]
    assert UploadPreview.objects.get().file_name == "neraca.csv"


def test_the_confirm_posts_the_file_shown(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = _post_file(c, GOOD, mapping="").content.decode()
    r = c.post(URL, _confirm(page), follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    entry = JournalEntry.objects.get(source="opening")
    assert {ln.account.code: (ln.debit, ln.credit) for ln in entry.lines.all()} == {
        "1101": (D("1234567"), D("0")),
        "1102": (D("100000"), D("0")),
        "3103": (D("0"), D("1334567")),
    }
    assert entry.date == cutover
    assert MoveIn.objects.get().trial_balance_step == "done"
    assert not UploadPreview.objects.exists()
    # a second confirm (a double click) posts nothing more
    page = c.post(URL, _confirm(page), follow=True).content.decode()
    assert "Pratinjau ini sudah disimpan, dibatalkan atau kedaluwarsa" in page
    assert JournalEntry.objects.filter(source="opening").count() == 1


def test_a_file_changed_between_preview_and_confirm_is_refused(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = _post_file(c, GOOD).content.decode()
    fields = _confirm(page)
    # another file sent with the confirm: not what was previewed
    r = c.post(URL, {**fields, "file": csv_file(OTHER, "neraca.csv")}, follow=True)
    assert "Berkas ini bukan berkas yang diperiksa di pratinjau" in r.content.decode()
    opening_not_posted()
    # the kept file changed since the preview: its checksum is not the signed one
    UploadPreview.objects.update(content=OTHER.encode())
    r = c.post(URL, fields, follow=True)
    assert "Pratinjau tidak dikenal; unggah berkasnya lagi." in r.content.decode()
    opening_not_posted()
    # an altered reference
    r = c.post(URL, {**fields, "token": "x" + fields["token"]}, follow=True)
    assert "Pratinjau tidak dikenal; unggah berkasnya lagi." in r.content.decode()
    opening_not_posted()


def test_the_same_file_sent_with_the_confirm_is_posted(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = _post_file(c, GOOD).content.decode()
    r = c.post(URL, {**_confirm(page), "file": csv_file(GOOD, "neraca.csv")}, follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    assert JournalEntry.objects.filter(source="opening").count() == 1


def test_an_unbalanced_file_is_refused_with_its_difference_and_no_confirm(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    r = _post_file(c, GOOD.replace(";;1.334.567", ";;1.300.000"))
    page = r.content.decode()
    assert r.status_code == 200
    assert (
        "Neraca saldo tidak seimbang: debit Rp 1.334.567, kredit Rp 1.300.000, selisih Rp 34.567."
        in page
    )
    assert "trial_balance_confirm" not in page and "Posting neraca saldo awal ini" not in page
    opening_not_posted()
    nothing_to_confirm()  # a refused file is held for the form, never confirmable


def test_a_file_with_row_errors_is_refused_listing_them_and_no_confirm(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    r = _post_file(c, "akun;debit;kredit\n1101;100;\n9999;;50\n11;;50\n")
    page = r.content.decode()
    assert r.status_code == 200
    assert "Laporan kesalahan per baris" in page and "9999" in page and "kelompok" in page
    assert "trial_balance_confirm" not in page
    opening_not_posted()
    nothing_to_confirm()  # a refused file is held for the form, never confirmable


def test_the_grid_and_the_upload_show_the_same_preview(staff, cutover):
    """One helper for both: the same totals line and the same lines, whichever path."""
    c = move_in_started(login(staff["bendahara"]), cutover)
    grid = {"debit_1101": "1.234.567", "debit_1102": "100.000", "credit_3103": "1.334.567"}
    grid_page = c.post(URL, {"action": "trial_balance_grid", **grid}).content.decode()
    file_page = _post_file(c, GOOD).content.decode()
    totals = re.compile(r"<strong>Total debit [^<]*</strong>")
    assert totals.findall(_grid_form(grid_page)) == totals.findall(_preview(file_page))
    assert len(totals.findall(_preview(file_page))) == 1
