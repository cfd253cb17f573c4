"""The preview says which rows of the treasurer's file were left out and why: a totals
row (``JUMLAH``) checked against the rows above it, a line with nothing in the columns
the step reads (the place and date, *Bendahara,*). On the screen under each step's
preview, in the API's preview as ``left_out_rows``; rows sent as data have none."""

import io
import re

from core.onboarding.models import MoveIn
from core.onboarding.services import trial_balance_post

from .helpers import arrears_row, loan_row, tb_rows
from .test_api import login as api_login
from .test_screens import login
from .test_treasurer_files import LOANS_TOTALS, _loans_sheet, _tb_sheet, _xlsx

URL = "/pindah/"
API = "/api/v1/onboarding/"
TOTALS_OK = "baris jumlah, cocok dengan baris di atasnya"
NO_DATA = "baris tanpa isi di kolom yang dibaca"


def _file(content: bytes, name: str):
    f = io.BytesIO(content)
    f.name = name
    return f


def _card(page: str, card: str) -> str:
    m = re.search(rf'<div id="{card}" class="card">.*?</form>\s*</div>', page, re.S)
    assert m, page
    return re.sub(r"\s+", " ", m.group(0))


def test_trial_balance_preview_names_the_rows_left_out(staff, move_in):
    c = login(staff["bendahara"])
    r = c.post(
        URL,
        {
            "action": "trial_balance",
            "move_in": move_in.pk,
            "file": _file(_xlsx(_tb_sheet()), "neraca.xlsx"),
        },
    )
    card = _card(r.content.decode(), "tb-preview")
    assert "3 baris tidak dibawa" in card
    assert re.search(
        rf"<td class=\"num\">10</td><td>JUMLAH · 1.500.000 · 1.500.000</td><td>{TOTALS_OK}</td>",
        card,
    )
    assert re.search(
        rf"<td class=\"num\">12</td><td>Palangka Raya, 31 Oktober 2026</td><td>{NO_DATA}</td>", card
    )
    assert re.search(rf"<td class=\"num\">13</td><td>Bendahara,</td><td>{NO_DATA}</td>", card)


def test_loans_preview_names_the_totals_row_checked(staff, move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = login(staff["bendahara"])
    content = _xlsx(_loans_sheet(members, cutover, LOANS_TOTALS))
    r = c.post(URL, {"action": "loans", "move_in": move_in.pk, "file": _file(content, "p.xlsx")})
    card = _card(r.content.decode(), "loans-preview")
    assert "2 baris tidak dibawa" in card
    assert re.search(rf"<td class=\"num\">5</td><td>JUMLAH · [^<]*</td><td>{TOTALS_OK}</td>", card)
    assert re.search(rf"<td class=\"num\">7</td><td>Bendahara,</td><td>{NO_DATA}</td>", card)


def test_api_preview_lists_left_out_rows(staff, move_in, by):
    c = api_login(by)
    r = c.post(
        API + "trial-balance/",
        {"file": _file(_xlsx(_tb_sheet()), "neraca.xlsx"), "preview": "true"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["left_out_rows"] == [
        {
            "row": 10,
            "reason": "totals_checked",
            "text": "JUMLAH · 1.500.000 · 1.500.000",
            "message": TOTALS_OK,
        },
        {
            "row": 12,
            "reason": "no_data",
            "text": "Palangka Raya, 31 Oktober 2026",
            "message": NO_DATA,
        },
        {"row": 13, "reason": "no_data", "text": "Bendahara,", "message": NO_DATA},
    ]
    assert MoveIn.objects.get().opening_entry_id is None
    # rows sent as data: none left out
    r = c.post(API + "trial-balance/", {"rows": tb_rows(), "preview": True}, "application/json")
    assert r.status_code == 200 and r.json()["left_out_rows"] == []


def test_api_loans_preview_lists_the_totals_row(staff, move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = api_login(by)
    content = _xlsx(_loans_sheet(members, cutover, LOANS_TOTALS))
    r = c.post(API + "loans/", {"file": _file(content, "p.xlsx"), "preview": "true"})
    assert r.status_code == 200, r.content
    got = [(x["row"], x["reason"]) for x in r.json()["left_out_rows"]]
    assert got == [(5, "totals_checked"), (7, "no_data")]
    assert [x["row"] for x in r.json()["lines"]] == [3, 4]
    assert arrears_row and loan_row  # the sheet's loans


def test_subtotals_and_an_unreadable_total_are_named_as_not_checked(move_in):
    from core.onboarding.files import read_file

    sheet = [
        ["Kode Akun", "Nama Akun", "Debet", "Kredit"],
        ["1101", "Kas", "1.000.000", ""],
        ["", "Sub-total aktiva", "1.000.000", ""],
        ["3103", "Cadangan", "", "1.000.000"],
        ["", "Sub-total pasiva", "", "1.000.000"],
        ["", "JUMLAH", "1.000.000", "1.000.000"],
    ]
    read = read_file(content=_xlsx(sheet), file_name="n.xlsx", kind="trial_balance")
    assert [r["row"] for r in read.rows] == [2, 4]
    assert [(x["row"], x["reason"]) for x in read.left_out] == [
        (3, "subtotal"),
        (5, "subtotal"),
        (6, "totals_checked"),
    ]
    sheet[-1] = ["", "JUMLAH", "lihat lampiran", ""]
    read = read_file(content=_xlsx(sheet), file_name="n.xlsx", kind="trial_balance")
    assert read.left_out[-1]["reason"] == "totals"
    assert read.left_out[-1]["message"].startswith("baris jumlah, tidak diperiksa")
