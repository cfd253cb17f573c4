"""A posted entry's note on how it is corrected, as each reader can act on it: the
pengawas (read-only) is told who corrects it (bendahara or admin) and where, never an
API call; the bendahara is told what to press (a module's own Batalkan, or the reversal
form of a manual entry)."""

from decimal import Decimal as D

from core.ledger.services import LineSpec, journal_post


def _post(today, by, source="manual", ref=""):
    return journal_post(
        on=today,
        description="Setoran",
        by=by,
        source=source,
        source_ref=ref,
        lines=[LineSpec("1101", debit=D("50000")), LineSpec("3104", credit=D("50000"))],
    )


def _page(client, entry) -> str:
    return client.get(f"/buku-besar/jurnal/{entry.pk}/").content.decode()


def test_module_entry_tells_the_pengawas_who_corrects_it_without_an_api_call(
    login, bendahara, today
):
    entry = _post(today, bendahara, source="savings", ref="txn:1")
    html = _page(login("pengawas"), entry)
    assert "/api/" not in html and "API:" not in html
    assert "hanya oleh bendahara atau admin" in html
    assert "menu Simpanan" in html
    html = _page(login("bendahara"), entry)
    assert "/api/" not in html and "API:" not in html
    assert "untuk mengoreksi, batalkan lewat menu Simpanan" in html
    assert 'name="reason"' not in html  # not reversed here: in its module


def test_manual_entry_tells_the_pengawas_who_reverses_it_and_the_bendahara_gets_the_form(
    login, bendahara, today
):
    entry = _post(today, bendahara)
    html = _page(login("pengawas"), entry)
    assert "hanya oleh bendahara atau admin" in html and "jurnal pembalik" in html
    assert 'name="reason"' not in html
    html = _page(login("bendahara"), entry)
    assert 'name="reason"' in html and "hanya oleh bendahara atau admin" not in html
