"""The operators' transfer screen: proofs awaiting confirmation first, every row reachable
(paginated), and an alert when a proof has waited more than a day."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import services
from billing.models import Invoice, PaymentProof, Plan, Subscription
from tests.console.conftest import verified_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_awaiting_proofs_come_first_all_of_them_with_an_alert_after_a_day(tenant_a, operator):
    sub = Subscription.objects.get(cooperative=tenant_a)
    plan = Plan.objects.get(code="kecil")
    today = timezone.localdate()
    Invoice.objects.bulk_create(
        [
            Invoice(
                subscription=sub,
                provider="bank_transfer",
                number=f"T-OPEN-{i:04d}",
                reference=f"LMBOPEN{i:04d}",
                plan=plan,
                interval="month",
                amount=plan.price_monthly,
                issued_on=today,
                due_on=today - timedelta(days=i % 30),
            )
            for i in range(230)
        ]
    )
    waiting = Invoice.objects.create(
        subscription=sub,
        provider="bank_transfer",
        number="T-WAIT-1",
        reference="LMBWAIT0001",
        plan=plan,
        interval="month",
        amount=plan.price_monthly,
        issued_on=today,
        due_on=today + timedelta(days=20),
    )
    services.bank_proof_upload(
        invoice=waiting,
        upload=SimpleUploadedFile("b.png", PNG, "image/png"),
        by="bendahara",
        amount_claimed=waiting.amount_due,
    )
    PaymentProof.objects.filter(invoice=waiting).update(
        created_at=timezone.now() - timedelta(hours=30)
    )

    client = verified_client(operator)
    first = client.get("/billing/operator/transfer/").content.decode()
    assert "LMBWAIT0001" in first
    assert first.index("LMBWAIT0001") < first.index("LMBOPEN")
    assert "menunggu lebih dari sehari" in first
    # every open invoice is reachable page by page
    seen = set()
    for n in range(1, 6):
        page = client.get(f"/billing/operator/transfer/?page={n}").content.decode()
        seen |= {f"LMBOPEN{i:04d}" for i in range(230) if f"LMBOPEN{i:04d}" in page}
    assert len(seen) == 230


def test_a_fresh_proof_raises_no_alert(tenant_a, operator, admin_client_a):
    plan = Plan.objects.get(code="kecil")
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(subscription=sub, plan=plan, interval="month", by="t")
    services.bank_proof_upload(
        invoice=inv,
        upload=SimpleUploadedFile("b.png", PNG, "image/png"),
        by="bendahara",
        amount_claimed=inv.amount_due,
    )
    page = verified_client(operator).get("/billing/operator/transfer/").content.decode()
    assert inv.reference in page and "menunggu lebih dari sehari" not in page
