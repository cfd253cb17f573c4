"""Who may bring members in with opening savings balances.

The petugas (data entry) may import members, but opening balances post a journal entry
(Dr opening balance equity / Cr the members' savings) with no cash behind it — a posting,
which is the bendahara's or the admin's (as the move-in's opening balances are). A teller
able to do it could credit any amount to a new member's sukarela and pay it out at the
counter."""

from datetime import date

import pytest
from django.test import Client

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.members.models import Member, MemberImport
from core.savings.member_import import member_import_run, member_import_upload
from tenants.services import tenant_host

from . import factories as f
from .test_import import _nothing_written, _snapshot, rows, to_csv


@pytest.fixture
def setup(in_tenant_a):
    """As ``test_import``'s: the savings products, the two agencies, a bendahara."""
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan Kota Palangka Raya")
    f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    return f.user("bendahara")


def _without_balances(n):
    return [
        {k: v for k, v in r.items() if not k.startswith("saldo_")}
        for r in rows(n, saldo_pokok="", saldo_wajib="", saldo_sukarela="")
    ]


def test_petugas_cannot_import_opening_balances(setup):
    petugas = f.user("petugas")
    data = rows(3)
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=petugas)
    assert batch.status == "valid", batch.errors
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=date(2026, 1, 1), by=petugas)
    assert e.value.code == "permission_denied"
    assert e.value.status_code == 403
    assert "bendahara atau admin" in e.value.message
    _nothing_written(before)
    batch.refresh_from_db()
    assert batch.status == "valid"


def test_petugas_still_imports_members_without_balances(setup):
    petugas = f.user("petugas")
    data = _without_balances(3)
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=petugas)
    assert batch.status == "valid", batch.errors
    entries = JournalEntry.objects.count()
    member_import_run(batch=batch, opening_date=date(2026, 1, 1), by=petugas)
    assert Member.objects.filter(nip__in=[r["nip"] for r in data]).count() == 3
    assert JournalEntry.objects.count() == entries


def test_bendahara_imports_opening_balances(setup):
    data = rows(2)
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    member_import_run(batch=batch, opening_date=date(2026, 1, 1), by=setup)
    batch.refresh_from_db()
    assert batch.status == "imported"
    assert JournalEntry.objects.get(pk=batch.journal_entry_id).source == "opening"


def test_petugas_screen_says_why_and_imports_nothing(setup, tenant_a):
    petugas = f.user("petugas")
    batch = member_import_upload(content=to_csv(rows(2)), file_name="anggota.csv", by=petugas)
    before = _snapshot()
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(petugas)
    resp = c.post(f"/anggota/impor/{batch.pk}/", {"opening_date": "2026-01-01"}, follow=True)
    assert "hanya dapat diimpor oleh bendahara atau admin" in resp.content.decode()
    _nothing_written(before)
    assert MemberImport.objects.get(pk=batch.pk).status == "valid"
