"""The journal list's export carries what the screen shows of each entry: who posted it
("Oleh" — the auditor's question for every manual entry), as on the screen."""

import csv
import io
from decimal import Decimal

from core.common.dates import format_tanggal
from core.ledger.services import LineSpec, journal_post

D = Decimal


def _rows(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))


def test_journal_export_names_who_posted_each_entry(login, bendahara, today):
    journal_post(
        on=today,
        description="Bayar listrik",
        by=bendahara,
        lines=[LineSpec("5306", debit=D("1000")), LineSpec("1101", credit=D("1000"))],
    )
    journal_post(
        on=today,
        description="Bunga bank",
        by="tests",  # a system posting: no user
        source="other",
        source_ref="bank-1",
        lines=[LineSpec("1101", debit=D("500")), LineSpec("4101", credit=D("500"))],
    )
    screen = login("pengawas").get("/buku-besar/jurnal/").content.decode()
    assert str(bendahara) in screen
    rows = _rows(login("pengawas").get("/buku-besar/jurnal/?export=csv"))
    head, body = rows[0], rows[1:]
    assert "Oleh" in head
    by = {r[head.index("Uraian")]: r[head.index("Oleh")] for r in body}
    assert by == {"Bayar listrik": str(bendahara), "Bunga bank": "sistem"}


def test_journal_xlsx_names_cooperative_period_and_print_time(login, bendahara, today):
    import io

    from django.db import connection
    from openpyxl import load_workbook

    journal_post(
        on=today,
        description="Bayar listrik",
        by=bendahara,
        lines=[LineSpec("5306", debit=D("1000")), LineSpec("1101", credit=D("1000"))],
    )
    resp = login("pengawas").get(
        f"/buku-besar/jurnal/?date_from={today}&date_to={today}&export=xlsx"
    )
    rows = [
        [c for c in r if c is not None]
        for r in load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True)
    ]
    head = [str(r[0]) for r in rows[:5] if r]
    assert head[:2] == [connection.tenant.name, "Jurnal umum"]
    assert f"Periode: {format_tanggal(today)} s.d. {format_tanggal(today)}" in head
    assert any(t.startswith("Dicetak ") for t in head)
    at = next(i for i, r in enumerate(rows) if r and r[0] == "Nomor")
    assert [r[2] for r in rows[at + 1 :]] == ["Bayar listrik", "Bayar listrik"]
