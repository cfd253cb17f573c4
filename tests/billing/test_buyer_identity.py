"""An invoice and a credit note (nota retur) carry the buyer's identity as it was when
they were issued, like any tax document: name, NPWP and address, the cooperative's
legal number (badan hukum), NIK koperasi and billing e-mail are copied onto the
document. Its PDF and its e-Faktur row read that copy only: made again after the
cooperative was renamed, or deleted, they say what they said when issued."""

import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from billing import services
from billing.efaktur import COLUMNS, efaktur_rows
from billing.models import CreditNote, Invoice, Plan, Subscription
from billing.pdf import credit_note_html, invoice_html
from lumbung.console import services as console
from tenants.models import Cooperative
from tests.billing.test_credit import _paid_sedang_yearly, _png, _renewal_issued
from tests.billing.test_invoices_tax import _stripe_invoice
from tests.console.conftest import make_operator

pytestmark = pytest.mark.django_db

LEGAL = "518/BH/XVIII.4/2019"
NIK = "6271010020001"
EMAIL = "bendahara@kpri-beta.test"
NPWP = "02.345.678.9-012.000"
ADDRESS = "Jl. Tjilik Riwut Km 5, Palangka Raya"
IDENTITY = ["NPWP", "NAMA", "ALAMAT_LENGKAP", "NOMOR_BADAN_HUKUM", "NIK_KOPERASI", "EMAIL_PEMBELI"]


def _buyer(html: str) -> str:
    """The buyer's block of a document's HTML ("Kepada: …"), whitespace folded."""
    block = re.search(r"<p>Kepada:.*?</p>", html, re.S).group(0)
    return " ".join(block.split())


def _identity(row: list) -> list:
    return [row[COLUMNS.index(c)] for c in IDENTITY]


def _rows(docs) -> dict:
    """Each document's e-Faktur row by its number (REFERENSI)."""
    months = {(d.issued_on.year, d.issued_on.month) for d in docs}
    rows = [r for y, m in sorted(months) for r in efaktur_rows(year=y, month=m)]
    return {r[COLUMNS.index("REFERENSI")]: r for r in rows}


def _identify(coop: Cooperative) -> None:
    Cooperative.objects.filter(pk=coop.pk).update(legal_number=LEGAL, nik_koperasi=NIK, email=EMAIL)
    coop.refresh_from_db()


@pytest.fixture
def documents(tenant_b, clock):
    """Beta (with its legal number, NIK koperasi, e-mail, NPWP and address) paid a year
    of Sedang, then transferred the next year twice: the renewal is credited with a
    credit note, the credit refunded by bank, so the cooperative may be deleted."""
    ops = make_operator("admin", "admin-identity@ops.lumbung.test")
    _identify(tenant_b)
    sub = Subscription.objects.get(cooperative=tenant_b)
    services.subscription_tax_details_set(subscription=sub, npwp=NPWP, address=ADDRESS, by="t")
    sub, first = _paid_sedang_yearly(tenant_b, ops)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    other = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="t"
    )
    services.bank_proof_upload(
        invoice=other, upload=_png(), by="bendahara", amount_claimed=other.amount_due
    )
    services.bank_transfer_confirm(invoice=renewal, operator=ops)
    services.bank_transfer_confirm(invoice=other, operator=ops)
    note = CreditNote.objects.get(subscription=sub)
    services.credit_refund_record(
        subscription=sub,
        amount=services.credit_balance(subscription=sub),
        reason="transfer balik",
        operator=ops,
    )
    invoices = list(Invoice.objects.filter(subscription=sub).order_by("pk"))
    return ops, sub, invoices, note


def test_each_document_names_the_buyer_with_its_legal_identity(documents):
    ops, sub, invoices, note = documents
    for inv in invoices:
        block = _buyer(invoice_html(invoice=inv))
        for shown in (sub.cooperative.name, NPWP, ADDRESS, LEGAL, NIK, EMAIL):
            assert shown in block, (inv.number, shown)
    block = _buyer(credit_note_html(note=note))
    for shown in (sub.cooperative.name, NPWP, ADDRESS, LEGAL, NIK, EMAIL):
        assert shown in block, shown
    rows = _rows([*invoices, note])
    for doc in [*invoices, note]:
        assert _identity(rows[doc.number]) == [
            "023456789012000",
            sub.cooperative.name,
            ADDRESS,
            LEGAL,
            NIK,
            EMAIL,
        ]


def test_documents_made_again_after_the_cooperative_is_deleted_name_the_same_buyer(
    documents, clock
):
    ops, sub, invoices, note = documents
    coop = sub.cooperative
    docs = [*invoices, note]
    pages = {inv.number: _buyer(invoice_html(invoice=inv)) for inv in invoices}
    pages[note.number] = _buyer(credit_note_html(note=note))
    rows = _rows(docs)

    clock.advance(days=40)
    console.tenant_archive(operator=ops, cooperative=coop, reason="berhenti")
    coop.refresh_from_db()
    console.tenant_delete(operator=ops, cooperative=coop, confirm=coop.slug, reason="tutup")
    assert not Cooperative.objects.filter(pk=coop.pk).exists()

    for inv in Invoice.objects.filter(number__in=[i.number for i in invoices]):
        assert inv.subscription_id is None
        assert _buyer(invoice_html(invoice=inv)) == pages[inv.number]
    kept = CreditNote.objects.get(pk=note.pk)
    assert _buyer(credit_note_html(note=kept)) == pages[note.number]
    after = _rows(docs)
    for doc in docs:
        assert after[doc.number] == rows[doc.number]
        assert _identity(after[doc.number])[3:] == [LEGAL, NIK, EMAIL]


def test_renaming_the_cooperative_after_issue_changes_no_issued_document(documents):
    ops, sub, invoices, note = documents
    coop = sub.cooperative
    old_name = coop.name
    pages = {inv.number: _buyer(invoice_html(invoice=inv)) for inv in invoices}
    note_page = _buyer(credit_note_html(note=note))
    rows = _rows([*invoices, note])

    Cooperative.objects.filter(pk=coop.pk).update(
        name="KPRI Beta Sejahtera Baru",
        legal_number="999/BH/2026",
        nik_koperasi="6271019990001",
        email="baru@kpri-beta.test",
    )
    sub = Subscription.objects.select_related("cooperative").get(pk=sub.pk)
    services.subscription_tax_details_set(
        subscription=sub, npwp="09.876.543.2-109.000", address="Jl. Baru 9", by="t"
    )

    for inv in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        assert _buyer(invoice_html(invoice=inv)) == pages[inv.number]
        assert inv.buyer_name == old_name
    assert _buyer(credit_note_html(note=CreditNote.objects.get(pk=note.pk))) == note_page
    after = _rows([*invoices, note])
    assert {n: after[n] for n in rows} == rows

    # An invoice issued now names the cooperative as it is now.
    sub.refresh_from_db()
    new = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    block = _buyer(invoice_html(invoice=new))
    for shown in ("KPRI Beta Sejahtera Baru", "999/BH/2026", "6271019990001", "Jl. Baru 9"):
        assert shown in block
    assert f"<strong>{old_name}</strong>" not in block and LEGAL not in block


def test_a_card_invoice_updated_by_stripe_keeps_the_buyer_it_was_issued_to(subscription_a):
    """Stripe reports an open card invoice again (paid, later): our copy takes Stripe's
    state, never the cooperative's identity as it is at that moment."""
    from billing.webhooks import _invoice_mirror

    coop = subscription_a.cooperative
    _identify(coop)
    subscription_a.refresh_from_db()
    now = timezone.now()
    remote = _stripe_invoice(
        subscription_a,
        total=111_000_00,
        created=now,
        line_start=now,
        line_end=now + timedelta(days=30),
        status="open",
    )
    with transaction.atomic():
        inv = _invoice_mirror(subscription_a, remote)
    issued = (inv.buyer_name, inv.buyer_legal_number, inv.buyer_nik_koperasi, inv.buyer_email)
    assert issued == (coop.name, LEGAL, NIK, EMAIL)

    Cooperative.objects.filter(pk=coop.pk).update(
        name="KPRI Alpha Baru", legal_number="1/BH/2026", email="baru@alpha.test"
    )
    subscription_a = Subscription.objects.select_related("cooperative").get(pk=subscription_a.pk)
    with transaction.atomic():
        paid = _invoice_mirror(subscription_a, {**remote, "status": "paid"})
    assert paid.pk == inv.pk and paid.status == Invoice.Status.PAID
    assert (
        paid.buyer_name,
        paid.buyer_legal_number,
        paid.buyer_nik_koperasi,
        paid.buyer_email,
    ) == issued


def test_migration_0018_copies_the_buyers_identity_and_marks_what_cannot_be_known(
    documents, tenant_a, operator
):
    """Documents issued before the identity was copied: those of a cooperative that
    still exists get it from the cooperative (what their PDF showed until then); those
    of a cooperative already deleted cannot know it: left empty, and the PDF says so."""
    ops, sub, invoices, note = documents
    backfill = importlib.import_module("billing.migrations.0018_buyer_identity_snapshot")
    blank = {
        "buyer_legal_number": "",
        "buyer_nik_koperasi": "",
        "buyer_email": "",
        "buyer_identity_known": True,
    }
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(**blank)
    CreditNote.objects.filter(pk=note.pk).update(**blank)
    # A kept invoice of a cooperative deleted before the identity was copied.
    sub_a = Subscription.objects.get(cooperative=tenant_a)
    Subscription.objects.filter(pk=sub_a.pk).update(trial_ends_at=timezone.now())
    orphan = services.bank_invoice_issue(
        subscription=sub_a, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    Invoice.objects.filter(pk=orphan.pk).update(subscription=None, **blank)

    editor = SimpleNamespace(connection=connection)
    backfill.buyer_identity_copy(apps, editor)
    backfill.buyer_identity_copy(apps, editor)  # run twice: the same result

    for inv in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        assert (inv.buyer_legal_number, inv.buyer_nik_koperasi, inv.buyer_email) == (
            LEGAL,
            NIK,
            EMAIL,
        )
        assert inv.buyer_identity_known
    note = CreditNote.objects.get(pk=note.pk)
    assert (note.buyer_legal_number, note.buyer_nik_koperasi, note.buyer_email) == (
        LEGAL,
        NIK,
        EMAIL,
    )
    assert note.buyer_identity_known
    orphan.refresh_from_db()
    assert not orphan.buyer_identity_known
    assert (orphan.buyer_legal_number, orphan.buyer_nik_koperasi, orphan.buyer_email) == (
        "",
        "",
        "",
    )
    block = _buyer(invoice_html(invoice=orphan))
    assert orphan.buyer_name in block
    assert "tidak tercatat" in block
