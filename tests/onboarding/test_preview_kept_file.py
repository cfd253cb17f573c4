"""The uploaded file is kept server-side under a signed reference of its own, so the
treasurer who changes the account mapping (or ticks the hidden-rows box) after a preview
or after row errors previews again without choosing the file again (browsers never
refill a file input). The reference that brings the file back cannot confirm: only the
preview's own reference posts, and only the file and mapping it signed."""

import io
import re

from openpyxl import Workbook

from core.ledger.models import Account, JournalEntry
from core.onboarding.models import MoveIn, UploadPreview

from .helpers import confirm_form, move_in_started
from .test_screens import csv_file, login
from .test_typed_options_kept import _form, _submitted

URL = "/pindah/"
FILE = "akun;debit;kredit\n1101;100;\nKAS LAMA;50;\nGedung;30;\n3103;;180\n"
MAPPING = "KAS LAMA = 1102\r\nGedung = 1299; Gedung Aula; 12"


def _kept(form: str) -> str:
    m = re.search(r'<input type="hidden" name="kept" value="([^"]+)"', form)
    assert m, form
    return m.group(1)


def _again(c, page: str, mapping: str, **extra):
    """The upload form of the page sent again as a browser sends it: the file input left
    empty (a browser never refills it), the mapping as now typed."""
    form = _form(page, "trial_balance")
    assert re.search(r'<input type="file" name="file"(?![^>]*required)[^>]*>', form), form
    return c.post(URL, {**_submitted(form), "mapping": mapping, **extra})


def _posted_lines() -> dict:
    entry = JournalEntry.objects.get(source="opening")
    return {ln.account.code: (ln.debit, ln.credit) for ln in entry.lines.all()}


def test_row_errors_then_the_mapping_typed_previews_without_choosing_the_file(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    form = {"action": "trial_balance", "move_in": MoveIn.objects.get().pk, "mapping": ""}
    page = c.post(URL, {**form, "file": csv_file(FILE, "neraca-lama.csv")}).content.decode()
    assert "Laporan kesalahan per baris" in page and "KAS LAMA" in page
    upload = _form(page, "trial_balance")
    assert "neraca-lama.csv" in upload  # the form says which file it keeps
    assert "Pratinjau: belum diposting" not in page  # no confirm for a refused file

    page = _again(c, page, MAPPING).content.decode()

    assert "Pratinjau: belum diposting" in page, page
    assert "neraca-lama.csv akan diposting" in page
    r = c.post(URL, confirm_form(page, "trial_balance_confirm"), follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    assert set(_posted_lines()) == {"1101", "1102", "1299", "3103"}
    assert not UploadPreview.objects.exists()  # the kept file is gone with the confirm


def test_after_a_preview_the_mapping_changed_previews_again_and_posts_the_new_one(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    form = {"action": "trial_balance", "move_in": MoveIn.objects.get().pk, "mapping": MAPPING}
    page = c.post(URL, {**form, "file": csv_file(FILE)}).content.decode()
    assert "Pratinjau: belum diposting" in page
    first_confirm = _submitted(_form(page, "trial_balance_confirm"))
    changed = MAPPING.replace("Gedung Aula", "Gedung Serbaguna")

    page = _again(c, page, changed).content.decode()

    assert "Pratinjau: belum diposting" in page
    confirm = _submitted(_form(page, "trial_balance_confirm"))
    assert confirm["mapping"] == changed
    assert UploadPreview.objects.count() == 1  # one file kept, not one per preview
    # the first preview's confirm (a page left open) no longer posts: its mapping changed
    r = c.post(URL, first_confirm, follow=True)
    assert "berubah sejak diperiksa" in r.content.decode()
    assert not JournalEntry.objects.filter(source="opening").exists()
    r = c.post(URL, confirm, follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    assert set(_posted_lines()) == {"1101", "1102", "1299", "3103"}
    assert Account.objects.get(code="1299").name == "Gedung Serbaguna"  # the new mapping


def test_the_kept_file_reference_never_posts(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    form = {"action": "trial_balance", "move_in": MoveIn.objects.get().pk, "mapping": MAPPING}
    page = c.post(URL, {**form, "file": csv_file(FILE)}).content.decode()
    kept = _kept(_form(page, "trial_balance"))

    r = c.post(URL, {"action": "trial_balance_confirm", "token": kept, "mapping": MAPPING})

    assert "Pratinjau tidak dikenal; unggah berkasnya lagi." in r.content.decode()
    assert not JournalEntry.objects.filter(source="opening").exists()


def test_a_kept_file_is_its_uploader_s_and_an_altered_reference_is_refused(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    mi = MoveIn.objects.get()
    form = {"action": "trial_balance", "move_in": mi.pk, "mapping": ""}
    page = c.post(URL, {**form, "file": csv_file(FILE)}).content.decode()
    kept = _kept(_form(page, "trial_balance"))
    other = login(staff["admin"])
    again = {**form, "mapping": MAPPING, "kept": kept}

    page = other.post(URL, again).content.decode()
    assert "Berkas ini diunggah oleh pengguna lain; pilih berkasnya sendiri." in page
    page = c.post(URL, {**again, "kept": kept[:-2] + "xx"}).content.decode()
    assert "Berkas yang diunggah tidak dikenal; pilih berkasnya lagi." in page
    assert "Pratinjau: belum diposting" not in page
    # a new file chosen replaces the kept one
    c.post(URL, {**again, "file": csv_file(FILE, "baru.csv")})
    assert list(UploadPreview.objects.values_list("file_name", flat=True)) == ["baru.csv"]
    assert not JournalEntry.objects.filter(source="opening").exists()


def test_the_kept_file_goes_with_the_undo(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    mi = MoveIn.objects.get()
    form = {"action": "trial_balance", "move_in": mi.pk, "mapping": ""}
    page = c.post(URL, {**form, "file": csv_file(FILE)}).content.decode()
    kept = _kept(_form(page, "trial_balance"))
    assert UploadPreview.objects.count() == 1
    c.post(URL, {"action": "undo", "reason": "mulai lagi"})
    assert not UploadPreview.objects.exists()

    page = c.post(URL, {**form, "mapping": MAPPING, "kept": kept}).content.decode()
    assert "Pratinjau: belum diposting" not in page


def _hidden_row_tb():
    wb = Workbook()
    ws = wb.active
    for row in (["akun", "debit", "kredit"], ["1101", "100", ""], ["1102", "50", ""]):
        ws.append(row)
    ws.append(["3103", "", "150"])
    ws.row_dimensions[3].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    f = io.BytesIO(buf.getvalue())
    f.name = "neraca.xlsx"
    return f


def test_hidden_rows_refused_then_ticked_without_choosing_the_file(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    form = {"action": "trial_balance", "move_in": MoveIn.objects.get().pk, "mapping": ""}
    page = c.post(URL, {**form, "file": _hidden_row_tb()}).content.decode()
    assert "1 baris tersembunyi di Excel ikut dibaca (baris 3)" in page

    page = _again(c, page, "", hidden_rows_ok="on").content.decode()

    assert "Pratinjau: belum diposting" in page
    assert "(termasuk 1 baris tersembunyi (baris 3))" in page
