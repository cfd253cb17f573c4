"""What the treasurer typed in a step's form comes back on the page that answers it: the
trial balance's account mapping (19 lines in a real walk) and the hidden-rows tick, on
the row-error page and on the preview page (whose upload form is the way to change the
mapping and preview again), and the other forms' typed fields after a refusal. The
confirm's security is unchanged: the preview's confirm form carries the mapping it was
previewed with, and a confirm whose mapping differs from the kept one, or whose kept
mapping was altered, is still refused (``onboarding_preview_changed``), nothing posted."""

import html
import json
import re
from datetime import timedelta

from django.utils import timezone

from core.ledger.models import Account, JournalEntry
from core.onboarding.models import MoveIn, MoveInAdjustment, UploadPreview

from .helpers import move_in_started, nothing_to_confirm, opening_not_posted
from .test_screens import csv_file, login
from .test_steps_confirm import CAPITAL, JASA, LOANS, bad_file, good_file, mi  # noqa: F401

URL = "/pindah/"
FILE = "akun;debit;kredit\n1101;100;\nKAS LAMA;50;\nGedung;30;\n3103;;180\n"
# as a browser sends a textarea (CRLF), with a character the page must escape
MAPPING = "KAS LAMA = 1102\r\nGedung = 1299; Gedung & Aula <lama>; 12"
# the parent 99 does not exist: a row error, nothing kept
MAPPING_BAD_PARENT = "KAS LAMA = 1102\r\nGedung = 1299; Gedung & Aula <lama>; 99"


def _form(page: str, action: str) -> str:
    """The HTML of the page's form posting ``action``."""
    forms = re.findall(r"<form\b.*?</form>", page, re.S)
    return next(f for f in forms if f'name="action" value="{action}"' in f)


def _textarea(form: str, name: str) -> str:
    """A textarea's text as a browser reads it (the one newline after the tag dropped)."""
    m = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', form, re.S)
    assert m, form
    text = html.unescape(m.group(1))
    return text[1:] if text.startswith("\n") else text


def _checked(form: str, name: str) -> bool:
    m = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', form)
    assert m, form
    return " checked" in m.group(0)


def _submitted(form: str) -> dict:
    """What a browser posts for a form of hidden inputs and textareas."""
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data = {k: html.unescape(v) for k, v in data.items()}
    for name in re.findall(r'<textarea name="([^"]+)"', form):
        data[name] = _textarea(form, name)
    return data


def _upload(c, mapping: str, **extra):
    form = {"action": "trial_balance", "move_in": MoveIn.objects.get().pk, "mapping": mapping}
    return c.post(URL, {**form, "file": csv_file(FILE), **extra})


def test_the_row_error_page_shows_the_mapping_and_tick_as_typed(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    r = _upload(c, MAPPING_BAD_PARENT, hidden_rows_ok="on")
    page = r.content.decode()
    assert r.status_code == 200 and "Laporan kesalahan per baris" in page
    form = _form(page, "trial_balance")
    assert _textarea(form, "mapping") == MAPPING_BAD_PARENT
    assert _checked(form, "hidden_rows_ok")
    opening_not_posted()
    nothing_to_confirm()  # a refused file is held for the form, never confirmable


def test_an_unticked_box_stays_unticked_after_an_error(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = _upload(c, MAPPING_BAD_PARENT).content.decode()
    assert not _checked(_form(page, "trial_balance"), "hidden_rows_ok")


def test_the_preview_page_keeps_the_mapping_and_its_confirm_posts_it(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = _upload(c, MAPPING, hidden_rows_ok="on").content.decode()
    assert "Pratinjau: belum diposting" in page
    upload = _form(page, "trial_balance")
    assert _textarea(upload, "mapping") == MAPPING
    assert _checked(upload, "hidden_rows_ok")
    confirm = _submitted(_form(page, "trial_balance_confirm"))
    assert confirm["mapping"] == MAPPING  # the previewed mapping goes with the confirm
    opening_not_posted()

    r = c.post(URL, confirm, follow=True)

    assert "Neraca saldo awal diposting:" in r.content.decode()
    entry = JournalEntry.objects.get(source="opening")
    assert sorted(ln.account.code for ln in entry.lines.all()) == ["1101", "1102", "1299", "3103"]
    assert Account.objects.get(code="1299").name == "Gedung & Aula <lama>"


def test_a_confirm_with_the_mapping_changed_is_still_refused_and_shows_it(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = _upload(c, MAPPING).content.decode()
    confirm = _submitted(_form(page, "trial_balance_confirm"))
    changed = MAPPING.replace("1102", "1101")

    r = c.post(URL, {**confirm, "mapping": changed})

    page = r.content.decode()
    assert (
        "Pemetaan akun ini bukan pemetaan yang diperiksa di pratinjau; tidak ada yang "
        "diposting." in page
    )
    opening_not_posted()
    assert not Account.objects.filter(code="1299").exists()
    # the page answers with what was sent, to upload again with it
    assert _textarea(_form(page, "trial_balance"), "mapping") == changed
    assert UploadPreview.objects.filter(kind="trial_balance").exists()  # not used


def test_a_kept_mapping_altered_is_refused_even_with_the_form_s_mapping(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = _upload(c, MAPPING).content.decode()
    confirm = _submitted(_form(page, "trial_balance_confirm"))
    kept = UploadPreview.objects.get(kind="trial_balance")
    text = json.dumps(kept.options).replace("1102", "1101")
    UploadPreview.objects.filter(pk=kept.pk).update(options=json.loads(text))

    r = c.post(URL, confirm, follow=True)

    assert "Pemetaan akun pratinjau ini berubah sejak diperiksa" in r.content.decode()
    opening_not_posted()
    assert not Account.objects.filter(code="1299").exists()


def test_the_other_steps_keep_the_hidden_rows_tick(staff, mi, members):  # noqa: F811
    c = login(staff["bendahara"])
    for step in (LOANS, JASA, CAPITAL):
        form = {"action": step.action, "move_in": mi.pk, "hidden_rows_ok": "on"}
        for text in (bad_file(step, members), good_file(step, members)):
            r = c.post(URL, {**form, "file": csv_file(text, f"{step.action}.csv")})
            page = r.content.decode()
            assert r.status_code == 200
            assert _checked(_form(page, step.action), "hidden_rows_ok"), (step, text)
            others = {LOANS.action, JASA.action, CAPITAL.action} - {step.action}
            assert not any(_checked(_form(page, o), "hidden_rows_ok") for o in others)


def test_a_refused_cutover_date_is_shown_as_typed(staff):
    c = login(staff["bendahara"])
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    page = c.post(URL, {"action": "start", "cutover_date": future}).content.decode()
    assert not MoveIn.objects.exists()
    assert f'name="cutover_date" value="{future}"' in _form(page, "start")


def test_a_refused_adjustment_keeps_what_was_typed(staff, moved):
    c = login(staff["bendahara"])
    explanation = "Selisih hasil audit & berita acara no. 7"
    typed = {"account": "3101", "amount": "300.000", "offset_account": "3103"}
    r = c.post(URL, {"action": "adjust", "explanation": explanation, **typed})
    page = r.content.decode()
    assert "melebihi selisih" in page
    assert not MoveInAdjustment.objects.exists()
    form = _form(page, "adjust")
    assert _textarea(form, "explanation") == explanation
    assert re.search(r'name="amount"[^>]* value="300.000"', form)
    assert re.search(r'name="offset_account"[^>]* value="3103"', form)
    assert re.search(r'<option value="3101" selected>', form)
