"""The account mapping of a trial balance's preview (unknown accounts mapped to the
chart, or new accounts to create) is kept with the preview and posted with it. It is
under the reference's signed checksum as the file is: a kept mapping altered between the
preview and the confirm is refused, nothing posted, no account created; a mapping sent
again with the confirm must be the one previewed (written the same way or not), else
refused. The other steps' kept choices (hidden rows checked) are signed the same way."""

import json

from core.ledger.models import Account, JournalEntry
from core.loans.models import JasaPaidBroughtIn
from core.onboarding.models import MoveIn, UploadPreview

from .helpers import confirm_form, move_in_started, opening_not_posted, tb_rows
from .test_api import login as api_login
from .test_preview_api import TB, preview, refused, save
from .test_screens import csv_file, login

URL = "/pindah/"
FILE = "akun;debit;kredit\n1101;100;\nKAS LAMA;50;\nGedung;30;\n3103;;180\n"
MAPPING = "KAS LAMA = 1102\nGedung = 1299; Gedung Serbaguna; 12"
CHANGED = (
    "Pemetaan akun pratinjau ini berubah sejak diperiksa; tidak ada yang diposting. "
    "Buat pratinjaunya lagi, periksa, lalu posting."
)


def _previewed(c, mapping: str = MAPPING) -> dict:
    """The file previewed with ``mapping``; the confirm form's fields."""
    r = c.post(
        URL,
        {
            "action": "trial_balance",
            "move_in": MoveIn.objects.get().pk,
            "mapping": mapping,
            "file": csv_file(FILE),
        },
    )
    assert r.status_code == 200
    return confirm_form(r.content.decode(), "trial_balance_confirm")


def _kept_options_replaced(old: str, new: str) -> None:
    """The kept preview's options as stored, ``old`` replaced by ``new`` (as a hand on
    the database would)."""
    kept = UploadPreview.objects.get(kind="trial_balance")
    text = json.dumps(kept.options)
    assert old in text
    UploadPreview.objects.filter(pk=kept.pk).update(options=json.loads(text.replace(old, new)))


def _nothing_posted() -> None:
    opening_not_posted()
    assert not Account.objects.filter(code="1299").exists()


def test_a_kept_mapping_altered_before_the_confirm_is_refused_and_nothing_posted(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    fields = _previewed(c)
    # the unknown account now mapped to another account than the one previewed
    _kept_options_replaced("1102", "1101")
    r = c.post(URL, fields, follow=True)
    assert CHANGED in r.content.decode()
    _nothing_posted()
    assert UploadPreview.objects.filter(kind="trial_balance").exists()  # kept, not used


def test_a_kept_new_account_altered_before_the_confirm_is_refused(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    fields = _previewed(c)
    _kept_options_replaced("Gedung Serbaguna", "Gedung Lain")
    r = c.post(URL, fields, follow=True)
    assert CHANGED in r.content.decode()
    _nothing_posted()


def test_the_previewed_mapping_is_posted(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    r = c.post(URL, _previewed(c), follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    entry = JournalEntry.objects.get(source="opening")
    assert sorted(ln.account.code for ln in entry.lines.all()) == ["1101", "1102", "1299", "3103"]
    assert Account.objects.get(code="1299").name == "Gedung Serbaguna"


def test_a_mapping_sent_with_the_confirm_must_be_the_previewed_one(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    fields = _previewed(c)
    other = MAPPING.replace("1102", "1101")
    r = c.post(URL, {**fields, "mapping": other}, follow=True)
    assert (
        "Pemetaan akun ini bukan pemetaan yang diperiksa di pratinjau; tidak ada yang "
        "diposting." in r.content.decode()
    )
    _nothing_posted()
    # the same mapping written otherwise (spaces, order of the lines): posted
    same = "Gedung=1299;Gedung Serbaguna;12\r\nKAS LAMA =1102"
    r = c.post(URL, {**fields, "mapping": same}, follow=True)
    assert "Neraca saldo awal diposting:" in r.content.decode()
    entry = JournalEntry.objects.get(source="opening")
    assert "1102" in {ln.account.code for ln in entry.lines.all()}


def test_api_reference_whose_kept_creation_was_altered_is_refused(staff, move_in, by):
    c = api_login(by)
    rows = [*tb_rows(), {"row": 10, "account": "Gedung", "debit": "1.000.000"}]
    rows[-2] = {**rows[-2], "credit": "59.980.000"}
    creations = {"Gedung": {"code": "1299", "name": "Gedung Serbaguna", "parent": "12"}}
    ref = preview(c, TB, {"rows": rows, "creations": creations})
    _kept_options_replaced("1299", "1298")
    message = refused(save(c, TB, ref), "onboarding_preview_changed")
    assert message == CHANGED
    _nothing_posted()
    assert not Account.objects.filter(code="1298").exists()


def test_another_steps_kept_choice_altered_is_refused(staff, move_in, by, members):
    """The jasa list's preview kept with hidden rows not checked: checked since, at the
    database, the confirm is refused, nothing saved."""
    c = login(by)
    text = f"no anggota;nama;jasa dibayar\n{members[0].number};A;100.000\n"
    r = c.post(
        URL,
        {
            "action": "shu_contributions",
            "move_in": move_in.pk,
            "file": csv_file(text, "jasa.csv"),
        },
    )
    fields = confirm_form(r.content.decode(), "shu_contributions_confirm")
    kept = UploadPreview.objects.get(kind="shu_contributions")
    assert kept.options["hidden_rows_ok"] is False
    UploadPreview.objects.filter(pk=kept.pk).update(
        options={**kept.options, "hidden_rows_ok": True}
    )
    r = c.post(URL, fields, follow=True)
    assert (
        "Pilihan pratinjau ini berubah sejak diperiksa; tidak ada yang disimpan. "
        "Buat pratinjaunya lagi, periksa, lalu simpan." in r.content.decode()
    )
    assert not JasaPaidBroughtIn.objects.exists()
