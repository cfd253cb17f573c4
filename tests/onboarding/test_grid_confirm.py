"""The opening trial balance typed in the chart-of-accounts grid is posted in two steps.
*Posting neraca saldo awal* pressed without *Hitung total* first used to post at once:
the treasurer never saw the totals, nor whether debit equalled credit, nor the lines.
Now the first press shows what would be posted — total debit, total credit, the
difference, each account's line — and a confirm button, and posts nothing; only the
confirm posts, and only the figures shown (the kept preview's reference is in the form:
figures typed over since, or a reference altered, are refused, nothing posted). An
unbalanced grid is refused with its difference shown and no confirm button."""

import re
from decimal import Decimal as D

from core.ledger.models import JournalEntry
from core.onboarding.models import MoveIn, UploadPreview

from .helpers import move_in_started, opening_not_posted
from .test_screens import login

URL = "/pindah/"
GRID = {"debit_1101": "1.234.567", "debit_1102": "100.000", "credit_3103": "1.334.567"}


def _grid_form(page: str) -> str:
    return next(
        fm
        for fm in re.findall(r"<form\b.*?</form>", page, re.S)
        if 'value="trial_balance_grid_total"' in fm
    )


def _hidden(page: str) -> dict:
    return dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', _grid_form(page))
    )


def _preview(page: str) -> str:
    m = re.search(r'<div id="tb-grid-preview">.*?</div>\s*<button', page, re.S)
    return m.group(0) if m else ""


def test_posting_without_hitung_total_shows_totals_and_lines_and_posts_nothing(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    r = c.post(URL, {"action": "trial_balance_grid", **GRID})
    assert r.status_code == 200
    page = r.content.decode()
    opening_not_posted()
    assert "Belum diposting" in page
    shown = _preview(page)
    assert "Pratinjau: belum diposting" in shown
    # the totals: debit, credit, their difference
    assert "Total debit Rp 1.334.567" in shown and "total kredit Rp 1.334.567" in shown
    assert "selisih Rp 0" in shown
    # each account's line as it will be posted
    lines = re.findall(
        r'<tr><td class="mono">(\d+)</td><td>[^<]*</td><td class="num">([^<]*)</td>'
        r'<td class="num">([^<]*)</td>',
        shown,
    )
    assert lines == [
        ("1101", "Rp 1.234.567", ""),
        ("1102", "Rp 100.000", ""),
        ("3103", "", "Rp 1.334.567"),
    ]
    # the confirm: a button, and the reference of the figures shown
    assert "Posting neraca saldo awal ini" in _grid_form(page)
    assert _hidden(page)["token"]
    assert 'value="1.234.567"' in page  # the grid keeps what was typed


def test_the_confirm_posts_the_figures_shown(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = c.post(URL, {"action": "trial_balance_grid", **GRID}).content.decode()
    r = c.post(URL, {**_hidden(page), "action": "trial_balance_grid", **GRID}, follow=True)
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


def test_figures_changed_before_the_confirm_are_refused_and_nothing_posted(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = c.post(URL, {"action": "trial_balance_grid", **GRID}).content.decode()
    altered = {**GRID, "debit_1101": "2.234.567", "credit_3103": "2.334.567"}
    r = c.post(URL, {**_hidden(page), "action": "trial_balance_grid", **altered})
    assert "Angka di tabel berubah sejak pratinjau (1101, 3103)" in r.content.decode()
    opening_not_posted()
    # a reference altered: refused too
    r = c.post(URL, {"token": "x" + _hidden(page)["token"], "action": "trial_balance_grid", **GRID})
    assert "Pratinjau tidak dikenal" in r.content.decode()
    opening_not_posted()


def test_an_unbalanced_grid_is_refused_with_its_difference_and_no_confirm(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    typed = {**GRID, "credit_3103": "1.300.000"}
    r = c.post(URL, {"action": "trial_balance_grid", **typed})
    page = r.content.decode()
    assert r.status_code == 200
    assert (
        "Neraca saldo tidak seimbang: debit Rp 1.334.567, kredit Rp 1.300.000, selisih Rp 34.567."
        in page
    )
    assert "selisih Rp 34.567" in page  # the grid's own total line
    assert "token" not in _hidden(page) and "Posting neraca saldo awal ini" not in page
    assert 'value="1.300.000"' in page
    opening_not_posted()
    assert not UploadPreview.objects.exists()


def test_an_empty_grid_is_refused(staff, cutover):
    c = move_in_started(login(staff["bendahara"]), cutover)
    page = c.post(URL, {"action": "trial_balance_grid"}).content.decode()
    assert "Neraca saldo awal kosong." in page
    opening_not_posted()
