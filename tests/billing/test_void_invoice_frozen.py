"""A void invoice is in the e-Faktur data of the months it was reported in (as issued,
and cancelled in the month of the void): the database refuses to change any figure
or identity of it, not only its status and void day. Deleting its cooperative still
moves it to the deleted cooperative's records (subscription emptied, owner set, an
empty buyer name filled in)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import DeletedCooperative, Invoice, Plan

pytestmark = pytest.mark.django_db


def _void(subscription, **extra) -> Invoice:
    values = {
        "subscription": subscription,
        "provider": "bank_transfer",
        "number": "INV/2031/000901",
        "reference": "LMBVOID00901",
        "stripe_invoice_id": None,
        "plan": Plan.objects.get(code="kecil"),
        "interval": "month",
        "kind": Invoice.Kind.SUBSCRIPTION,
        "amount": Decimal(111000),
        "credit_applied": Decimal(11000),
        "dpp": Decimal(100000),
        "ppn": Decimal(11000),
        "ppn_rate": Decimal("0.11"),
        "status": Invoice.Status.VOID,
        "voided_on": date(2031, 2, 3),
        "issued_on": date(2031, 1, 5),
        "due_on": date(2031, 1, 19),
        "period_start": date(2031, 2, 1),
        "period_end": date(2031, 2, 28),
        "buyer_name": "KPRI Alpha",
        "buyer_npwp": "012345678901000",
        "buyer_address": "Jl. Merdeka 1",
        "buyer_legal_number": "AHU-1",
        "buyer_nik_koperasi": "1234567890123456",
        "buyer_email": "bendahara@alpha.test",
    }
    return Invoice.objects.create(**(values | extra))


# Each changes one column (and, for a figure, another one so the row's own checks
# pass: amount = DPP + PPN).
CHANGES = {
    "number": "INV/2031/000999",
    "amount": {"amount": Decimal(222000), "dpp": Decimal(211000)},
    "credit_applied": Decimal(0),
    "dpp": {"dpp": Decimal(90000), "ppn": Decimal(21000)},
    "ppn": {"ppn": Decimal(22000), "amount": Decimal(122000)},
    "ppn_rate": Decimal("0.12"),
    "issued_on": date(2031, 2, 5),
    "due_on": date(2031, 2, 19),
    "period_start": date(2031, 3, 1),
    "period_end": date(2031, 3, 31),
    "kind": Invoice.Kind.PRORATION,
    "interval": "year",
    "provider": "stripe",
    "reference": "LMBVOID00999",
    "stripe_invoice_id": "in_other",
    "paid_at": timezone.now(),
    "buyer_name": "Nama Lain",
    "buyer_npwp": "098765432109000",
    "buyer_address": "Jl. Lain 2",
    "buyer_legal_number": "AHU-2",
    "buyer_nik_koperasi": "6543210987654321",
    "buyer_email": "lain@alpha.test",
    "buyer_identity_known": False,
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_the_database_refuses_to_change_a_void_invoices_figures(subscription_a, field):
    inv = _void(subscription_a)
    change = CHANGES[field] if isinstance(CHANGES[field], dict) else {field: CHANGES[field]}
    with pytest.raises(IntegrityError, match="is void"), transaction.atomic():
        Invoice.objects.filter(pk=inv.pk).update(**change)
    assert getattr(Invoice.objects.get(pk=inv.pk), field) == getattr(inv, field)


def test_the_database_refuses_another_plan_on_a_void_invoice(subscription_a):
    inv = _void(subscription_a)
    with pytest.raises(IntegrityError, match="is void"), transaction.atomic():
        Invoice.objects.filter(pk=inv.pk).update(plan=Plan.objects.get(code="sedang"))


def test_a_void_invoice_still_moves_to_its_deleted_cooperative(subscription_a):
    inv = _void(subscription_a, buyer_name="")  # issued before buyers were copied
    owner = DeletedCooperative.objects.create(name="KPRI Alpha", slug="alpha")
    # what billing_records_purge does to it
    Invoice.objects.filter(pk=inv.pk).update(buyer_name="KPRI Alpha")
    Invoice.objects.filter(pk=inv.pk).update(subscription=None, deleted_cooperative=owner)
    inv.refresh_from_db()
    assert (inv.subscription_id, inv.deleted_cooperative_id) == (None, owner.pk)
    assert inv.buyer_name == "KPRI Alpha" and inv.status == Invoice.Status.VOID
