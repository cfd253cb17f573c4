"""An auditor follows a member's payroll rupiah from the posted batch to its journal
entry and back: the batch page links its journal entry; the entry names each line's
member as the batch does (number and name, not the database id), links the member and
the batch it came from, and each account to its buku besar on the entry's date."""

from decimal import Decimal as D

from core.deductions import services as svc
from core.ledger.models import JournalEntry

from .conftest import csv_bytes, login, make_run


def _posted(coop, cutoffs):
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run = make_run(on=cutoffs[0], by=by)
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m1.nip, 1_100_000), (m2.nip, 50_000), (m3.nip, 50_000)]),
        file_name="r.csv",
        by=by,
    )
    svc.deduction_import_post(imp=imp, by=by)
    imp.refresh_from_db()
    return imp


def test_batch_page_links_its_journal_entry(coop, cutoffs):
    imp = _posted(coop, cutoffs)
    entry = JournalEntry.objects.get(pk=imp.entry_id)
    page = login(coop["staff"]["pengawas"]).get(f"/potong-gaji/impor/{imp.pk}/")
    assert page.status_code == 200
    assert f'href="/buku-besar/jurnal/{entry.pk}/"' in page.content.decode()


def test_entry_names_members_and_links_member_batch_and_accounts(coop, cutoffs):
    imp = _posted(coop, cutoffs)
    entry = JournalEntry.objects.get(pk=imp.entry_id)
    m1 = coop["m"][0]
    body = login(coop["staff"]["pengawas"]).get(f"/buku-besar/jurnal/{entry.pk}/")
    assert body.status_code == 200
    html = body.content.decode()
    # the member as the batch names them, linked to their page
    assert f'<a href="/anggota/{m1.pk}/">{m1.number} {m1.full_name}</a>' in html
    # the source: the batch it came from, not only its raw reference
    assert f'href="/potong-gaji/impor/{imp.pk}/"' in html
    # each account to its buku besar on the entry's day
    line = entry.lines.select_related("account").first()
    day = entry.date.isoformat()
    assert (
        f'href="/buku-besar/akun/{line.account_id}/buku-besar/?date_from={day}&amp;date_to={day}"'
        in html
    )


def test_journal_export_names_each_lines_member(coop, cutoffs):
    import csv
    import io

    imp = _posted(coop, cutoffs)
    m1 = coop["m"][0]
    resp = login(coop["staff"]["pengawas"]).get("/buku-besar/jurnal/?export=csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    assert "Anggota" in head
    ref = JournalEntry.objects.get(pk=imp.entry_id)
    mine = [r for r in body if r[head.index("Nomor")] == str(ref)]
    named = {r[head.index("Anggota")] for r in mine}
    assert f"{m1.number} {m1.full_name}" in named
    assert "" in named  # the bank line names nobody
    assert sum(D(r[head.index("Debit")] or 0) for r in mine) == sum(
        D(r[head.index("Kredit")] or 0) for r in mine
    )


def test_batch_page_names_its_jasa_column_as_the_journal_splits_it(coop, cutoffs):
    """The batch's jasa column holds a loan's late penalty too, which its journal entry
    books apart (Pendapatan Denda): the heading says so, so that the auditor adds the
    two journal lines to match it."""
    imp = _posted(coop, cutoffs)
    html = login(coop["staff"]["pengawas"]).get(f"/potong-gaji/impor/{imp.pk}/").content.decode()
    assert '<th class="num">Jasa + denda</th>' in html
