"""The console's list of deleted cooperatives (*Koperasi terhapus*): the invoices and
credit notes a deleted cooperative left as tax records, each with its number, date,
amount, status and PDF link, searchable by name, NPWP or document number, a page at a
time, the page's cooperatives and all their documents read in one query."""

import importlib
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import CreditNote, DeletedCooperative, Invoice, Plan
from billing.selectors import deleted_cooperative_documents, deleted_cooperatives
from core.audit.models import AuditEvent
from core.common.dates import format_date
from core.common.money import format_rupiah
from lumbung.console import services as console
from tests.console.conftest import make_operator
from tests.console.test_delete_tax_records import (  # noqa: F401 (fixtures)
    BUYER_NPWP,
    clock,
    invoiced_and_archived,
)

pytestmark = pytest.mark.django_db

URL = "/konsol/koperasi-terhapus/"
_numbers = itertools.count(1)


def _owner(name: str, *, npwp: str = "", days_ago: int = 1, slug: str = "") -> DeletedCooperative:
    return DeletedCooperative.objects.create(
        name=name,
        slug=slug,
        npwp=npwp,
        deleted_at=timezone.now() - timedelta(days=days_ago),
    )


def _kept(
    owner,
    n: int,
    *,
    notes_each: int = 0,
    buyer_name: str = "",
    voided_on: date | None = None,
    first_issued: date = date(2031, 1, 1),
) -> list[Invoice]:
    """``n`` kept invoices of a deleted cooperative (no subscription), each with
    ``notes_each`` credit notes."""
    plan = Plan.objects.get(code="kecil")
    made = []
    for i in range(n):
        seq = next(_numbers)
        inv = Invoice.objects.create(
            deleted_cooperative=owner,
            provider="bank_transfer",
            number=f"INV/2031/{seq:06d}",
            reference=f"LMBDEL{seq:06d}",
            plan=plan,
            interval="month",
            amount=Decimal(111000),
            dpp=Decimal(100000),
            ppn=Decimal(11000),
            ppn_rate=Decimal("0.11"),
            status=Invoice.Status.VOID if voided_on else Invoice.Status.PAID,
            paid_at=None if voided_on else timezone.now(),
            voided_on=voided_on,
            issued_on=first_issued + timedelta(days=i),
            due_on=date(2031, 1, 15) + timedelta(days=i),
            buyer_name=buyer_name or owner.name,
            buyer_npwp=owner.npwp,
        )
        for k in range(notes_each):
            CreditNote.objects.create(
                invoice=inv,
                number=f"{inv.number}-R{k + 1}",
                issued_on=inv.issued_on + timedelta(days=1),
                amount=Decimal(11100),
                dpp=Decimal(10000),
                ppn=Decimal(1100),
                ppn_rate=Decimal("0.11"),
                buyer_name=inv.buyer_name,
                buyer_npwp=inv.buyer_npwp,
            )
        made.append(inv)
    return made


def _selects(captured) -> list[str]:
    """The queries run, without django-tenants' ``SET search_path``."""
    return [q["sql"] for q in captured if not q["sql"].startswith("SET search_path")]


def _page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_deleted_cooperatives_documents_are_listed_with_their_pdfs(
    invoiced_and_archived,  # noqa: F811 (the fixture imported above)
    op_clients,
):
    ops, sub, left_open = invoiced_and_archived
    coop = sub.cooperative
    invoices = list(sub.invoices.order_by("issued_on", "number"))
    notes = list(sub.credit_notes.select_related("invoice").order_by("pk"))
    assert notes and any(i.status == "paid" for i in invoices)
    console.tenant_delete(operator=ops, cooperative=coop, confirm=coop.slug, reason="tutup")

    owner = DeletedCooperative.objects.get(cooperative_pk=coop.pk)
    assert (owner.slug, owner.name, owner.npwp) == (coop.slug, coop.name, BUYER_NPWP)
    assert set(owner.invoices.values_list("number", flat=True)) == {i.number for i in invoices}

    page = _page(op_clients["billing"])
    assert coop.name in page and BUYER_NPWP in page
    assert f"dihapus {format_date(timezone.localdate())}" in page
    for inv in invoices:
        row = page.split(f"<td>{inv.number}</td>", 1)[1].split("</tr>", 1)[0]
        assert format_date(inv.issued_on) in row and format_rupiah(inv.amount) in row
        assert inv.get_status_display() in row
        assert f'href="/billing/operator/tagihan/{inv.number}/pdf/"' in row
    left_row = page.split(f"<td>{left_open.number}</td>", 1)[1].split("</tr>", 1)[0]
    assert "Belum dibayar" in left_row and "tidak ditagih lagi" in left_row
    for note in notes:
        row = page.split(f"<td>↳ {note.number}</td>", 1)[1].split("</tr>", 1)[0]
        assert f"-{format_rupiah(note.amount)}" in row
        assert f"Nota retur atas {note.invoice.number}" in row
        assert f'href="/billing/operator/nota-retur/{note.pk}/pdf/"' in row
    # the PDFs it links open for the same operators
    paid = next(i for i in invoices if i.status == "paid")
    pdf = op_clients["billing"].get(f"/billing/operator/tagihan/{paid.number}/pdf/")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"


def test_the_list_is_for_billing_and_admin_operators_and_in_their_tabs(op_clients):
    _kept(_owner("KPRI Tutup Buku"), 1)
    assert op_clients["support"].get(URL).status_code == 403
    assert "KPRI Tutup Buku" in _page(op_clients["admin"])
    for role in ("billing", "admin"):
        home = op_clients[role].get("/konsol/").content.decode()
        assert f'href="{URL}"' in home and 'href="/billing/operator/transfer/"' in home
    support_home = op_clients["support"].get("/konsol/").content.decode()
    assert f'href="{URL}"' not in support_home


def test_search_by_name_npwp_or_document_number(op_clients):
    makmur = _owner("KPRI Makmur Sejahtera", npwp="01.234.567.8-901.000", slug="makmur")
    [m1] = _kept(makmur, 1, notes_each=1, buyer_name="KPRI Makmur Lama")
    guru = _owner("KPRI Guru Bersatu", npwp="09.876.543.2-109.000")
    [g1, g2] = _kept(guru, 2)
    client = op_clients["billing"]

    def found(q: str) -> set[str]:
        page = _page(client, q=q)
        return {name for name in ("KPRI Makmur Sejahtera", "KPRI Guru Bersatu") if name in page}

    assert found("makmur sej") == {"KPRI Makmur Sejahtera"}
    assert found("Makmur Lama") == {"KPRI Makmur Sejahtera"}  # the name on its invoice
    assert found("012345678901000") == {"KPRI Makmur Sejahtera"}  # NPWP without its dots
    assert found("09.876.543.2") == {"KPRI Guru Bersatu"}
    assert found(g2.number) == {"KPRI Guru Bersatu"}
    assert found(g2.number.replace("/", "-")) == {"KPRI Guru Bersatu"}  # as in the PDF name
    assert found(f"{m1.number}-R1") == {"KPRI Makmur Sejahtera"}  # a credit note
    assert found("bersatu") == {"KPRI Guru Bersatu"}
    nothing = _page(client, q="Tidak Ada Koperasi Ini")
    assert found("Tidak Ada Koperasi Ini") == set()
    assert "Tidak ada koperasi terhapus yang cocok dengan" in nothing
    # a match shows that cooperative's documents, all of them
    page = _page(client, q=g1.number)
    assert g1.number in page and g2.number in page and m1.number not in page


def test_a_page_is_one_query_however_many_documents(op_clients):
    few = [_owner(f"KPRI Sedikit {i}", days_ago=i) for i in range(3)]
    for owner in few:
        _kept(owner, 1)
    client = op_clients["billing"]
    _page(client)  # warm up (session, user, device)
    with CaptureQueriesContext(connection) as one_each:
        _page(client)
    with CaptureQueriesContext(connection) as selector_few:
        rows = list(deleted_cooperatives()[:25])
    assert len(_selects(selector_few)) == 1
    assert all(deleted_cooperative_documents(cooperative=r) for r in rows)

    for owner in few:
        _kept(owner, 20, notes_each=2)
    with CaptureQueriesContext(connection) as many_each:
        page = _page(client)
    with CaptureQueriesContext(connection) as selector_many:
        rows = list(deleted_cooperatives()[:25])
        docs = [deleted_cooperative_documents(cooperative=r) for r in rows]
    assert len(_selects(selector_many)) == 1
    mine = [d for r, d in zip(rows, docs, strict=True) if r in few]
    assert [len(d) for d in mine] == [1 + 20 * 3] * 3
    assert len(many_each) == len(one_each)
    assert page.count("/billing/operator/nota-retur/") >= 3 * 40


def test_documents_come_typed_in_issue_order_notes_under_their_invoice():
    owner = _owner("KPRI Urut")
    [first] = _kept(owner, 1, notes_each=1)
    [second] = _kept(
        owner, 1, notes_each=1, voided_on=date(2031, 3, 5), first_issued=date(2031, 2, 1)
    )
    [row] = list(deleted_cooperatives(q="KPRI Urut"))
    docs = deleted_cooperative_documents(cooperative=row)
    assert [d.number for d in docs] == [
        first.number,
        f"{first.number}-R1",
        second.number,
        f"{second.number}-R1",
    ]
    assert docs[0].amount == Decimal(111000) and isinstance(docs[0].amount, Decimal)
    assert docs[0].issued_on == date(2031, 1, 1) and docs[0].status_label == "Lunas"
    assert docs[1].kind == "credit_note" and docs[1].amount == Decimal(11100)
    assert docs[1].invoice_number == first.number
    assert docs[2].status_label == "Dibatalkan" and docs[2].voided_on == date(2031, 3, 5)


def test_pages_hold_25_cooperatives_the_last_deleted_first(op_clients):
    owners = [_owner(f"KPRI Halaman {i:02d}", days_ago=i + 1) for i in range(30)]
    for owner in owners:
        _kept(owner, 1)
    client = op_clients["billing"]
    first = _page(client, q="KPRI Halaman")
    second = _page(client, q="KPRI Halaman", page=2)
    assert "KPRI Halaman 00" in first and "KPRI Halaman 24" in first
    assert "KPRI Halaman 25" not in first and "KPRI Halaman 29" in second
    assert "Halaman 2 dari 2" in second


def test_migration_groups_documents_kept_before_by_their_deletions_audit_row():
    """Invoices kept before DeletedCooperative existed: those a deletion's audit row
    lists go to that cooperative (id, address, name, NIK koperasi, time); the rest by
    their buyer as issued, with no deletion time."""
    migration = importlib.import_module(
        "billing.migrations.0020_deleted_cooperative_of_kept_documents"
    )
    listed = _kept(_owner("sementara"), 2, buyer_name="KPRI Lama Sekali")
    other = _kept(_owner("sementara 2"), 1, buyer_name="KPRI Tanpa Audit")
    Invoice.objects.filter(pk__in=[i.pk for i in listed + other]).update(deleted_cooperative=None)
    AuditEvent.objects.create(
        action="console.tenant_deleted",
        target_type="tenants.cooperative",
        target_id="987654",
        data={
            "slug": "lama-sekali",
            "name": "KPRI Lama Sekali (baru)",
            "nik_koperasi": "6201234567890123",
            "invoices": [{"number": i.number} for i in listed],
        },
    )
    migration.kept_invoices_group(django_apps, None)

    owner = DeletedCooperative.objects.get(cooperative_pk=987654)
    assert (owner.slug, owner.name, owner.nik_koperasi) == (
        "lama-sekali",
        "KPRI Lama Sekali (baru)",
        "6201234567890123",
    )
    assert owner.deleted_at is not None
    assert set(owner.invoices.values_list("pk", flat=True)) == {i.pk for i in listed}
    rest = Invoice.objects.get(pk=other[0].pk).deleted_cooperative
    assert rest.name == "KPRI Tanpa Audit" and rest.deleted_at is None
    assert not Invoice.objects.filter(subscription=None, deleted_cooperative=None).exists()


def test_a_cooperative_deleted_without_any_invoice_is_listed(tenant_b, op_clients):
    """Not only in the audit log: every deleted cooperative is on the list, one that
    never had an invoice with "no invoices"."""
    assert not Invoice.objects.filter(subscription__cooperative=tenant_b).exists()
    ops = make_operator("admin", "admin-noinv@ops.lumbung.test")
    console.tenant_archive(operator=ops, cooperative=tenant_b, reason="berhenti")
    tenant_b.refresh_from_db()
    console.tenant_delete(operator=ops, cooperative=tenant_b, confirm=tenant_b.slug, reason="x")

    owner = DeletedCooperative.objects.get(cooperative_pk=tenant_b.pk)
    assert (owner.slug, owner.name) == (tenant_b.slug, tenant_b.name)
    assert owner.deleted_at is not None and not owner.invoices.exists()
    page = _page(op_clients["billing"], q=tenant_b.slug)
    block = page.split(f"<strong>{tenant_b.name}</strong>", 1)[1].split("</tbody>", 1)[0]
    assert f"dihapus {format_date(timezone.localdate())}" in block
    assert "Tidak ada tagihan yang terbit." in block


def test_a_cooperative_deleted_without_a_subscription_is_listed(tenant_b, op_clients):
    from billing.models import Subscription

    ops = make_operator("admin", "admin-nosub@ops.lumbung.test")
    console.tenant_archive(operator=ops, cooperative=tenant_b, reason="berhenti")
    tenant_b.refresh_from_db()
    Subscription.objects.filter(cooperative=tenant_b).delete()
    console.tenant_delete(operator=ops, cooperative=tenant_b, confirm=tenant_b.slug, reason="x")
    assert DeletedCooperative.objects.filter(cooperative_pk=tenant_b.pk).exists()
    assert tenant_b.name in _page(op_clients["billing"], q=tenant_b.slug)


def test_backfill_lists_deletions_known_only_from_the_audit_log(op_clients):
    """Cooperatives deleted without invoices before the list held them: their deletion's
    audit row (console.tenant_deleted) gives the id, address, name, NIK koperasi and
    time. One already listed is not added twice; running it again adds nothing."""
    migration = importlib.import_module(
        "billing.migrations.0021_deleted_cooperatives_without_invoices"
    )
    gone = AuditEvent.objects.create(
        action="console.tenant_deleted",
        target_type="tenants.cooperative",
        target_id="876543",
        data={
            "slug": "sunyi",
            "name": "KPRI Sunyi Tanpa Tagihan",
            "nik_koperasi": "6209876543210000",
            "invoices": [],
            "credit_notes": [],
        },
    )
    listed = _owner("KPRI Sudah Tercatat", slug="tercatat")
    DeletedCooperative.objects.filter(pk=listed.pk).update(cooperative_pk=876544)
    AuditEvent.objects.create(
        action="console.tenant_deleted",
        target_type="tenants.cooperative",
        target_id="876544",
        data={"slug": "tercatat", "name": "KPRI Sudah Tercatat", "invoices": []},
    )
    migration.deleted_cooperatives_backfill(django_apps, None)
    migration.deleted_cooperatives_backfill(django_apps, None)

    owner = DeletedCooperative.objects.get(cooperative_pk=876543)
    assert (owner.slug, owner.name, owner.nik_koperasi) == (
        "sunyi",
        "KPRI Sunyi Tanpa Tagihan",
        "6209876543210000",
    )
    assert owner.deleted_at == gone.created_at
    assert DeletedCooperative.objects.filter(cooperative_pk=876544).count() == 1
    page = _page(op_clients["billing"], q="Sunyi")
    assert "KPRI Sunyi Tanpa Tagihan" in page and "Tidak ada tagihan yang terbit." in page


def test_a_void_invoice_paid_later_shows_its_reissue_beside_it(op_clients):
    """A card invoice made void and paid later was re-issued (billing 0023): on the
    list, the void one names its re-issue with the re-issue's PDF, and the re-issue
    names the invoice it re-issues; still one query for the page's documents."""
    owner = _owner("KPRI Terbit Ulang")
    [void] = _kept(owner, 1, voided_on=date(2031, 1, 20))
    reissue = Invoice.objects.create(
        deleted_cooperative=owner,
        reissue_of=void,
        provider="stripe",
        number=f"INV/2031/{next(_numbers):06d}",
        stripe_invoice_id="in_reissued",
        plan=void.plan,
        interval=void.interval,
        amount=void.amount,
        dpp=void.dpp,
        ppn=void.ppn,
        ppn_rate=void.ppn_rate,
        status=Invoice.Status.PAID,
        paid_at=timezone.now(),
        issued_on=date(2031, 2, 10),
        due_on=date(2031, 2, 10),
        buyer_name=void.buyer_name,
    )
    with CaptureQueriesContext(connection) as captured:
        [row] = list(deleted_cooperatives(q="KPRI Terbit Ulang"))
    assert len(_selects(captured)) == 1
    docs = {d.number: d for d in deleted_cooperative_documents(cooperative=row)}
    assert (docs[void.number].reissue_number, docs[void.number].reissue_of_number) == (
        reissue.number,
        "",
    )
    assert (docs[reissue.number].reissue_number, docs[reissue.number].reissue_of_number) == (
        "",
        void.number,
    )

    page = " ".join(_page(op_clients["billing"], q="KPRI Terbit Ulang").split())
    void_row = page.split(f"<td>{void.number}</td>", 1)[1].split("</tr>", 1)[0]
    assert "Dibatalkan" in void_row
    assert (
        "dibayar kemudian: diterbitkan ulang sebagai "
        f'<a href="/billing/operator/tagihan/{reissue.number}/pdf/">{reissue.number}</a>'
    ) in void_row
    reissue_row = page.split(f"<td>{reissue.number}</td>", 1)[1].split("</tr>", 1)[0]
    assert "Lunas" in reissue_row
    assert (
        f'penerbitan ulang atas <a href="/billing/operator/tagihan/{void.number}/pdf/">'
        f"{void.number}</a>"
    ) in reissue_row
