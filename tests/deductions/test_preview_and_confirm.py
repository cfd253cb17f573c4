"""Issue 19: the payroll preview lists short rows first, highlighted, with the shortfall
column early and the agency's totals; a run with nothing realised is not "Siap"; posting
and reversing a batch ask first with the rupiah amounts."""

from core.common.money import format_rupiah
from core.deductions.models import DeductionImport, DeductionLine

from .conftest import login, upload_on_screen


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
    row = c.get("/potong-gaji/").content.decode().split(ready_run.label)[1].split("</tr>")[0]
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
    row = c.get("/potong-gaji/").content.decode().split(ready_run.label)[1].split("</tr>")[0]
    assert "Sebagian diposting" in row
    box = c.post(url, {"action": "reverse", "reason": "salah file"}).content.decode()
    box = box.split('id="confirm"')[1]
    assert "Total dibalik" in box and "Rp 250.000" in box and "salah file" in box
    imp.refresh_from_db()
    assert imp.status == "posted"
    c.post(url, {"action": "reverse", "reason": "salah file", "confirmed": "1"})
    imp.refresh_from_db()
    assert imp.status == "reversed"
