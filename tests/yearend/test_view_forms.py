"""The year-end screens read their fields through forms: a malformed member choice, RAT
date or text is a message on the page, never a 500, and changes nothing."""

from core.yearend.models import RatReport, ShuPayout, YearEnd
from core.yearend.services import shu_post, yearend_close

from .conftest import YEAR


def _messages(resp) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in resp.context["messages"]]


def test_post_with_an_unreadable_rat_date_is_refused(client_as, ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    c = client_as("bendahara")
    data = {"action": "post", "rat_date": "31/31/2026", "rat_decision": "01/RAT"}
    resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
    assert resp.redirect_chain[-1][0] == f"/tutup-buku/{YEAR}/"
    assert [level for level, _text in _messages(resp)][0] == "error"
    assert YearEnd.objects.get(year=YEAR).status == YearEnd.Status.CLOSED


def test_payout_with_a_member_that_is_not_a_number_is_a_message(client_as, ready, staff):
    from datetime import date

    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="03/RAT", by=by)
    c = client_as("bendahara")
    for members in (["x"], [str(ready["m1"].pk), "-1"], ["1e3"]):
        data = {"action": "payout", "member": members, "method": "cash"}
        resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
        assert _messages(resp) == [("error", "Pilihan anggota tidak valid.")], members
    assert not ShuPayout.objects.exists()
    data = {"action": "payout", "member": [str(ready["m1"].pk)], "method": "cash"}
    resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
    assert _messages(resp) == [("success", "SHU 1 anggota dibayar.")]
    assert ShuPayout.objects.count() == 1


def test_rat_held_with_a_bad_date_and_texts_with_a_null_are_messages(client_as, ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    c = client_as("bendahara")
    url = f"/tutup-buku/{YEAR}/rat/"
    resp = c.post(url, {"action": "held", "held_on": "31/31/2026"}, follow=True)
    assert resp.redirect_chain[-1][0] == url
    assert _messages(resp) == [("error", "Tanggal RAT tidak sah.")]
    resp = c.post(url, {"agenda": "Acara\x00", "board_report": "Isi"}, follow=True)
    assert resp.status_code == 200
    assert [level for level, _text in _messages(resp)] == ["error"]
    assert not RatReport.objects.filter(agenda__startswith="Acara").exists()
