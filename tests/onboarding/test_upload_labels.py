"""The move-in's upload steps say what their buttons do. The first press of each step
(the trial balance's file and grid, the loans, the jasa list 4a, the month-end capital
4b) only shows a preview, so its button says so (*Unggah dan pratinjau*, *Hitung total
dan pratinjau*), never *Posting…*/*Simpan…*/*Bawa…*; the preview's confirm button, the
only one that writes, says what it writes (*Posting neraca saldo awal ini*, *Simpan
pinjaman berjalan ini*, *Simpan daftar jasa ini*, *Simpan saldo akhir bulan ini*), and
the note above the preview names that very button."""

import re

import pytest

from core.onboarding.services import move_in_start, trial_balance_post

from .helpers import confirm_form, tb_rows
from .test_screens import csv_file, login
from .test_steps_confirm import CAPITAL, CUTOVER, JASA, LOANS, good_file

URL = "/pindah/"
WRITING = re.compile(r"^(Posting|Simpan|Bawa|Ganti)\b")
TB_FILE = "akun;debit;kredit\n1101;1.234.567;\n1102;100.000;\n3103;;1.334.567\n"
GRID = {"debit_1101": "1.234.567", "debit_1102": "100.000", "credit_3103": "1.334.567"}
# the step's action, what its confirm button says
CONFIRMS = {
    "trial_balance": "Posting neraca saldo awal ini",
    "loans": "Simpan pinjaman berjalan ini",
    "shu_contributions": "Simpan daftar jasa ini",
    "capital_balances": "Simpan saldo akhir bulan ini",
}


def _form(page: str, marker: str) -> str:
    """The page's form holding ``marker`` (a hidden action, a button's value)."""
    return next(fm for fm in re.findall(r"<form\b.*?</form>", page, re.S) if marker in fm)


def _buttons(form: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", b).strip()
        for b in re.findall(r"<button\b[^>]*>(.*?)</button>", form, re.S)
    ]


@pytest.fixture
def started(by):
    """A move-in whose trial balance is still to come."""
    return move_in_start(cutover_date=CUTOVER, by=by)


@pytest.fixture
def posted(by, members, product):
    """A move-in whose trial balance is posted (the loans' step needs it)."""
    made = move_in_start(cutover_date=CUTOVER, by=by)
    trial_balance_post(move_in=made, rows=tb_rows(), by=by)
    return made


def _says_preview(buttons: list[str]) -> None:
    assert buttons
    for text in buttons:
        assert "pratinjau" in text and not WRITING.match(text), buttons


def test_trial_balance_first_step_buttons_say_preview(staff, started):
    page = login(staff["bendahara"]).get(URL).content.decode()
    upload = _form(page, 'name="action" value="trial_balance"')
    assert _buttons(upload) == ["Unggah dan pratinjau"]
    grid = _form(page, 'value="trial_balance_grid_total"')
    assert _buttons(grid) == ["Hitung total dan pratinjau"]
    _says_preview(_buttons(upload) + _buttons(grid))


@pytest.mark.parametrize("step", [LOANS, JASA, CAPITAL], ids=lambda s: s.action)
def test_steps_first_press_buttons_say_preview(staff, posted, step):
    page = login(staff["bendahara"]).get(URL).content.decode()
    form = _form(page, f'name="action" value="{step.action}"')
    assert _buttons(form) == ["Unggah dan pratinjau"]
    _says_preview(_buttons(form))


def test_trial_balance_preview_confirm_says_it_posts(staff, started):
    c = login(staff["bendahara"])
    form = {"action": "trial_balance", "move_in": started.pk}
    page = c.post(URL, {**form, "file": csv_file(TB_FILE)}).content.decode()
    confirm = _form(page, 'value="trial_balance_confirm"')
    assert _buttons(confirm) == [CONFIRMS["trial_balance"]]
    assert (
        "Belum diposting: periksa total dan baris di bawah, lalu tekan Posting neraca saldo "
        "awal ini." in page
    )


def test_grid_preview_confirm_says_it_posts(staff, started):
    c = login(staff["bendahara"])
    page = c.post(URL, {"action": "trial_balance_grid_total", **GRID}).content.decode()
    grid = _form(page, 'value="trial_balance_grid_total"')
    assert _buttons(grid) == ["Hitung total dan pratinjau", CONFIRMS["trial_balance"]]
    assert "Posting neraca saldo awal ini memposting angka yang dihitung ini persis" in page


@pytest.mark.parametrize("step", [LOANS, JASA, CAPITAL], ids=lambda s: s.action)
def test_steps_preview_confirm_says_what_it_saves(staff, posted, members, step):
    c = login(staff["bendahara"])
    form = {"action": step.action, "move_in": posted.pk}
    file = csv_file(good_file(step, members), f"{step.action}.csv")
    page = c.post(URL, {**form, "file": file}).content.decode()
    confirm = _form(page, f'value="{step.action}_confirm"')
    label = CONFIRMS[step.action]
    assert _buttons(confirm) == [label]
    assert f"Belum disimpan: periksa total dan baris di bawah, lalu tekan {label}." in page


@pytest.mark.parametrize("step", [JASA, CAPITAL], ids=lambda s: s.action)
def test_a_list_previewed_over_a_saved_one_says_it_replaces_it(staff, posted, members, step):
    c = login(staff["bendahara"])
    form = {"action": step.action, "move_in": posted.pk}
    replaces = "Menyimpan daftar ini menggantikan seluruh daftar yang tersimpan di bawah."

    def previewed() -> str:
        file = csv_file(good_file(step, members), f"{step.action}.csv")
        return c.post(URL, {**form, "file": file}).content.decode()

    page = previewed()
    assert replaces not in page  # nothing saved yet: nothing replaced
    c.post(URL, confirm_form(page, f"{step.action}_confirm"))
    page = previewed()
    confirm = _form(page, f'value="{step.action}_confirm"')
    assert replaces in page and _buttons(confirm) == [CONFIRMS[step.action]]
