"""Once the SHU of a year is posted, its preview (page, API, XLSX) shows the posted
distribution — the saved per-member shares and funds — and says so, instead of
calculating the year again from today's data."""

import io
from datetime import date
from decimal import Decimal

import pytest

from core.common.money import format_rupiah
from core.members.models import Member
from core.yearend.models import MemberShare, ShuSettings, YearEnd
from core.yearend.selectors import member_inputs
from core.yearend.services import shu_post, yearend_close

from .conftest import YEAR

D = Decimal
RAT = date(YEAR + 1, 3, 1)


@pytest.fixture
def posted(ready, staff):
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="03/RAT", by=by)
    saved = {s.member_id: s for s in MemberShare.objects.filter(year_end__year=YEAR)}
    assert saved[ready["m2"].pk].jma > 0
    # a correction after posting (a data fix of m2's join date to the next year): the
    # year calculated again would now leave m2 out and give m1 all of jasa modal
    Member.objects.filter(pk=ready["m2"].pk).update(join_date=date(YEAR + 1, 1, 2))
    live = member_inputs(year=YEAR, settings=ShuSettings(effective_year=YEAR))
    assert ready["m2"].pk not in {i.member_id for i in live}
    return ready | {"saved": saved}


def test_api_preview_of_a_posted_year_is_the_saved_distribution(client_as, posted):
    ye = YearEnd.objects.get(year=YEAR)
    body = client_as("bendahara").get(f"/api/v1/yearend/{YEAR}/preview/?sort=-total").json()
    assert body["posted"] is True
    assert body["rat_decision"] == "03/RAT" and body["rat_date"] == RAT.isoformat()
    rows = {m["member_id"]: m for m in body["members"]}
    assert set(rows) == set(posted["saved"])
    for mid, s in posted["saved"].items():
        got = rows[mid]
        assert (D(got["capital"]), D(got["contribution"])) == (s.capital, s.contribution)
        assert (D(got["jma"]), D(got["jua"]), D(got["total"])) == (s.jma, s.jua, s.total)
    assert {k: D(v) for k, v in body["funds"].items()} == {k: D(ye.funds[k]) for k in body["funds"]}
    assert D(body["total_capital"]) == D(ye.funds["total_capital"])
    assert D(body["total_contribution"]) == D(ye.funds["total_contribution"])


def test_api_preview_of_a_closed_year_not_posted_says_it_is_a_draft(client_as, ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    body = client_as("bendahara").get(f"/api/v1/yearend/{YEAR}/preview/").json()
    assert body["posted"] is False and body["rat_decision"] == "" and body["rat_date"] is None


def test_preview_page_and_xlsx_of_a_posted_year_show_the_saved_shares(client_as, posted):
    c = client_as("bendahara")
    m2 = posted["saved"][posted["m2"].pk]
    html = c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    assert 'id="posted-distribution"' in html
    assert "03/RAT" in html
    assert format_rupiah(m2.total) in html and posted["m2"].full_name in html
    from openpyxl import load_workbook

    r = c.get(f"/tutup-buku/{YEAR}/pratinjau/?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert any("03/RAT" in str(row[0]) for row in cells)
    row = next(row for row in cells if row[0] == posted["m2"].number)
    assert D(str(row[6])) == m2.total
