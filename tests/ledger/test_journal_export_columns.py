"""The journal list's export carries what the screen shows of each entry: who posted it
("Oleh" — the auditor's question for every manual entry), as on the screen."""

import csv
import io
from decimal import Decimal

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
