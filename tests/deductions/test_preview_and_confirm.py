"""Issue 19: the payroll preview lists short rows first, highlighted, with the shortfall
column early and the agency's totals; a run with nothing realised is not "Siap"; posting
and reversing a batch ask first with the rupiah amounts."""

import re
from decimal import Decimal as D
from html import unescape

from core.common.money import format_rupiah
from core.deductions.models import DeductionImport, DeductionLine

from .conftest import login, make_run, upload_on_screen


def test_preview_lists_short_rows_first_with_totals(coop, ready_run):
    c = login(coop["by"])
    ag = coop["agencies"][0]
    m1, m2, m3 = coop["m"][:3]
    asked = {
        ln.member_id: ln.total for ln in DeductionLine.objects.filter(run=ready_run, agency=ag)
    }
    # m1 pays in full, m2 is short by 100.000, m3 is not in the file
    url = upload_on_screen(
        c, ready_run, ag, [(m1.nip, asked[m1.pk]), (m2.nip, asked[m2.pk] - 100000)]
    )
    html = c.get(url).content.decode()
    table = html.split('id="plan"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1].split("</tbody>")[0]
    rows = body.split("<tr")[1:]
    numbers = [next(n for n in (m1.number, m2.number, m3.number) if n in r) for r in rows]
    assert set(numbers[:2]) == {m2.number, m3.number} and numbers[2] == m1.number
    assert all('class="short"' in r for r in rows[:2]) and 'class="short"' not in rows[2]
    head = table.split("</thead>")[0]
    cols = [h.split(">", 1)[1].split("<")[0] for h in head.split("<th")[2:]]
    assert cols.index("Kekurangan") == 4  # right after asked and realised, never off-screen
    foot = table.split('id="plan-totals"')[1]
    short = 100000 + asked[m3.pk]
    assert format_rupiah(sum(asked.values())) in foot and format_rupiah(short) in foot
    assert "2 anggota dipotong kurang" in html


def test_run_with_nothing_realised_is_not_siap(coop, ready_run):
    c = login(coop["by"])
    row = c.get("/potong-gaji/").content.decode().split(ready_run.month_shown)[1].split("</tr>")[0]
    assert "Menunggu realisasi" in row and ">Siap<" not in row


def test_post_and_reverse_need_the_confirmed_post(coop, ready_run):
    c = login(coop["by"])
    ag = coop["agencies"][0]
    m1 = coop["m"][0]
    url = upload_on_screen(c, ready_run, ag, [(m1.nip, 250000)])
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    box = c.post(url, {"action": "post"}).content.decode().split('id="confirm"')[1]
    assert "Rp 250.000" in box and "Ya, posting Rp 250.000" in box
    imp.refresh_from_db()
    assert imp.status == "valid"
    c.post(url, {"action": "post", "confirmed": "1"})
    imp.refresh_from_db()
    assert imp.status == "posted"
    row = c.get("/potong-gaji/").content.decode().split(ready_run.month_shown)[1].split("</tr>")[0]
    assert "Sebagian diposting" in row
    box = c.post(url, {"action": "reverse", "reason": "salah file"}).content.decode()
    box = box.split('id="confirm"')[1]
    assert "Total dibalik" in box and "Rp 250.000" in box and "salah file" in box
    imp.refresh_from_db()
    assert imp.status == "posted"
    c.post(url, {"action": "reverse", "reason": "salah file", "confirmed": "1"})
    imp.refresh_from_db()
    assert imp.status == "reversed"


def test_confirmation_gives_what_the_list_asked_the_difference_denda_and_rows_left_out(
    coop, cutoffs
):
    """Before posting 40 agencies' money the treasurer compares each batch with the list
    and the bank: the confirmation now gives what the list asked and the difference,
    the late penalty (denda: penalty income, apart from jasa) as the loans batch takes
    it on the date typed, and says how many members are not in the file and how many
    rows are excluded (all taken as not deducted). Before, only the realised split
    (penalty inside jasa) and the shortfall."""
    from core.loans.models import LoanProduct, Repayment

    by = coop["by"]
    LoanProduct.objects.filter(code="PG").update(late_penalty_rate=2)
    run = make_run(on=cutoffs[1], by=by)
    c = login(by)
    ag = coop["agencies"][0]
    m1, m2, m3 = coop["m"][:3]
    asked = {ln.member_id: ln for ln in DeductionLine.objects.filter(run=run, agency=ag)}
    penalty_asked = sum(D(x["penalty"]) for x in asked[m1.pk].loans)
    assert penalty_asked > 0, asked[m1.pk].loans  # m1's first instalment is a month late
    # m1 in full, m2 short by 100.000, m3 not in the file, a row of an unknown NIP
    url = upload_on_screen(
        c,
        run,
        ag,
        [
            (m1.nip, asked[m1.pk].total),
            (m2.nip, asked[m2.pk].total - 100000),
            ("199001012015011999", 75000),
        ],
    )
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    c.post(url, {"action": "exclude", "all_rows": "on"})
    imp.refresh_from_db()
    assert imp.status == "valid" and len(imp.excluded_rows) == 1, imp.errors
    box = c.post(url, {"action": "post"}).content.decode().split('id="confirm"')[1]
    figures = _figures(box)
    list_total = sum((ln.total for ln in asked.values()), D(0))
    realized = asked[m1.pk].total + asked[m2.pk].total - 100000
    assert figures["Diminta di daftar"] == format_rupiah(list_total), figures
    assert figures["Selisih terhadap daftar"] == format_rupiah(realized - list_total), figures
    notice = box.split('id="confirm-notice"')[1].split("</p>")[0]
    assert "1 anggota tidak ada di file" in notice and "1 baris file dikecualikan" in notice
    c.post(url, {"action": "post", "confirmed": "1"})
    imp.refresh_from_db()
    assert imp.status == "posted"
    reps = Repayment.objects.filter(entry=imp.entry)
    penalty = sum((r.penalty for r in reps), D(0))
    jasa = sum((r.jasa for r in reps), D(0))
    principal = sum((r.principal for r in reps), D(0))
    assert penalty > 0
    assert figures["Denda pinjaman"] == format_rupiah(penalty), figures
    assert figures["Jasa pinjaman"] == format_rupiah(jasa), figures
    assert figures["Pokok pinjaman"] == format_rupiah(principal), figures


def _figures(box: str) -> dict[str, str]:
    """The confirmation's lines: label -> amount as shown."""

    def text(html: str) -> str:
        return unescape(re.sub(r"<[^>]+>", "", html).split(">", 1)[-1].strip())

    return {
        text(row.split("</td>")[0]): text(row.split("</td>")[1])
        for row in box.split("</table>")[0].split("<tr")[1:]
    }
