"""Who may bring members in with opening savings balances.

The petugas (data entry) may import members, but opening balances post a journal entry
(Dr opening balance equity / Cr the members' savings) with no cash behind it — a posting,
which is the bendahara's or the admin's (as the move-in's opening balances are). A teller
able to do it could credit any amount to a new member's sukarela and pay it out at the
counter."""

import pytest
from django.test import Client

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.members.models import Member, MemberImport
from core.savings.member_import import member_import_run, member_import_upload
from tenants.services import tenant_host

from . import factories as f
from .test_import import OPENING, _nothing_written, _snapshot, rows, to_csv


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
        member_import_run(batch=batch, opening_date=OPENING, by=petugas)
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
    member_import_run(batch=batch, opening_date=OPENING, by=petugas)
    assert Member.objects.filter(nip__in=[r["nip"] for r in data]).count() == 3
    assert JournalEntry.objects.count() == entries


def test_bendahara_imports_opening_balances(setup):
    data = rows(2)
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=setup)
    member_import_run(batch=batch, opening_date=OPENING, by=setup)
    batch.refresh_from_db()
    assert batch.status == "imported"
    assert JournalEntry.objects.get(pk=batch.journal_entry_id).source == "opening"


def test_petugas_screen_says_why_and_imports_nothing(setup, tenant_a):
    petugas = f.user("petugas")
    batch = member_import_upload(content=to_csv(rows(2)), file_name="anggota.csv", by=petugas)
    before = _snapshot()
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(petugas)
    resp = c.post(f"/anggota/impor/{batch.pk}/", {"opening_date": OPENING.isoformat()}, follow=True)
    assert "hanya dapat diimpor oleh bendahara atau admin" in resp.content.decode()
    _nothing_written(before)
    assert MemberImport.objects.get(pk=batch.pk).status == "valid"


def _page(tenant, user, url):
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    return c.get(url).content.decode()


def test_upload_page_tells_petugas_balances_are_for_bendahara_before_upload(setup, tenant_a):
    html = _page(tenant_a, f.user("petugas"), "/anggota/impor/")
    assert "Saldo awal simpanan hanya dapat diimpor oleh bendahara atau admin" in html
    assert "Saldo awal simpanan hanya dapat diimpor" not in _page(
        tenant_a, setup, "/anggota/impor/"
    )


def test_preview_marks_balance_columns_and_offers_petugas_no_import_button(setup, tenant_a):
    petugas = f.user("petugas")
    data = rows(2, saldo_sukarela="")
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=petugas)
    assert batch.status == "valid", batch.errors
    html = _page(tenant_a, petugas, f"/anggota/impor/{batch.pk}/")
    assert "Saldo awal simpanan hanya dapat diimpor oleh bendahara atau admin" in html
    # the columns that hold balances are named, the empty one is not
    assert "saldo_pokok" in html and "saldo_wajib" in html
    assert "saldo_sukarela" not in html.split("balance-columns", 1)[1].split("</div>", 1)[0]
    assert "Impor sekarang" not in html
    # the bendahara sees the same file with the import button
    html = _page(tenant_a, setup, f"/anggota/impor/{batch.pk}/")
    assert "Impor sekarang" in html
    assert "Saldo awal simpanan hanya dapat diimpor" not in html


def test_preview_without_balances_offers_petugas_the_import(setup, tenant_a):
    petugas = f.user("petugas")
    batch = member_import_upload(
        content=to_csv(_without_balances(2)), file_name="anggota.csv", by=petugas
    )
    html = _page(tenant_a, petugas, f"/anggota/impor/{batch.pk}/")
    assert "Impor sekarang" in html
    assert "hanya dapat diimpor oleh bendahara" not in html
