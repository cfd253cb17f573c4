"""The journal list with *Dari* after *Sampai* (picked the wrong way round in the date
boxes) lists the entries between the two dates, as the reports do with such a range,
not "Tidak ada jurnal yang cocok" (found walking the demo: 31 Dec → 1 Jan listed
nothing though the year had hundreds of entries)."""

from datetime import timedelta
from decimal import Decimal

from core.ledger.services import LineSpec, journal_post


def test_journal_with_dates_the_wrong_way_round_lists_the_range(login, bendahara, today):
    entry = journal_post(
        on=today,
        description="Setoran urutan tanggal",
        by=bendahara,
        lines=[LineSpec("1101", debit=Decimal(1234)), LineSpec("3106", credit=Decimal(1234))],
    )
    later, earlier = today, today - timedelta(days=3)
    c = login("bendahara")
    page = c.get(
        "/buku-besar/jurnal/", {"date_from": later.isoformat(), "date_to": earlier.isoformat()}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Setoran urutan tanggal" in html
    assert f"/buku-besar/jurnal/{entry.pk}/" in html
    # the boxes show the range that was used, earlier date first
    assert page.context["date_from"] == earlier and page.context["date_to"] == later
