"""The month-close confirmation says how a close is undone (an admin reopens the month
with a reason, *Buka kembali* on the periods page), not that a reversing entry corrects
it: a close posts no transaction to reverse."""

from datetime import date

import pytest

from core.ledger.models import Period
from tests.ledger.test_close_unended_month import on  # noqa: F401 (fixture)


def test_the_close_confirmation_says_an_admin_reopens_it(on, login):  # noqa: F811
    if on.month == 1:
        pytest.skip("no ended month in this fiscal year")
    ended = Period.objects.get(start_date=date(on.year, on.month - 1, 1))
    html = (
        login("bendahara")
        .post("/buku-besar/periode/", {"action": "close", "period": ended.pk})
        .content.decode()
    )
    assert "Ya, tutup periode" in html
    undo = html.split('id="confirm-undo"')[1].split("</p>")[0]
    assert "Buka kembali" in undo and "admin" in undo.lower()
    assert "jurnal pembalik" not in undo
    assert Period.objects.get(pk=ended.pk).status == "open"
