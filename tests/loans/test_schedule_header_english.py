"""The schedule's first column is the instalment's number ("Ke", as in angsuran ke-3):
in English it is "No.", not "To" (found walking the demo in English: "TO · DUE DATE ·
PRINCIPAL" over the schedule of a loan and of the member page)."""

import re

import pytest
from django.conf import settings


def _schedule_headers(page: str) -> list[list[str]]:
    heads = re.findall(r"<thead><tr>(.*?)</tr></thead>", page, re.S)
    return [
        [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>.*?</th>", x)]
        for x in heads
    ]


@pytest.mark.parametrize("lang, first", [("en", "No."), ("id", "Ke")])
def test_schedule_number_column_is_named_in_the_readers_language(
    make_loan, staff, login, lang, first
):
    loan = make_loan()
    c = login(staff["bendahara"])
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    for url in (f"/pinjaman/{loan.pk}/", f"/anggota/{loan.member_id}/"):
        heads = [h for h in _schedule_headers(c.get(url).content.decode()) if len(h) > 4]
        due = "Due date" if lang == "en" else "Jatuh tempo"
        schedule = [h for h in heads if due in h]
        assert schedule, (url, heads)
        assert all(h[0] == first for h in schedule), (url, schedule)
