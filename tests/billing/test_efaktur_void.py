"""An invoice voided after its month: the month's e-Faktur data stays as reported (the
invoice as issued), and the void is a cancellation row (pembatalan) in the month it was
voided, reducing that month like a credit note (nota retur) does."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing import services
from billing.efaktur import COLUMNS, efaktur_csv, efaktur_rows
from billing.models import Invoice, Plan, Subscription
from billing.services.bank import invoice_void

DATE, DPP, PPN, REF, STATUS = 4, 8, 9, 11, 13
ORIGINAL = COLUMNS.index("FAKTUR_ASAL")


def _issue(sub) -> Invoice:
    return services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="year", by="t"
    )


def _void(inv: Invoice) -> None:
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=inv.subscription_id)
        invoice_void(sub=sub, invoice=Invoice.objects.get(pk=inv.pk), by="t", reason="uji")


def test_an_invoice_voided_the_next_month_stays_in_its_month_and_is_cancelled_in_the_next(
    subscription_a, clock
):
    clock.now = timezone.make_aware(datetime(2026, 3, 20, 10, 0))
    inv = _issue(subscription_a)
    march_rows = efaktur_rows(year=2026, month=3)
    march_csv = efaktur_csv(year=2026, month=3)
    assert [r[REF] for r in march_rows] == [inv.number]

    clock.now = timezone.make_aware(datetime(2026, 4, 2, 9, 0))
    _void(inv)

    assert efaktur_rows(year=2026, month=3) == march_rows
    assert efaktur_csv(year=2026, month=3) == march_csv
    [cancel] = efaktur_rows(year=2026, month=4)
    assert cancel[DATE] == "02/04/2026"
    assert (cancel[DPP], cancel[PPN]) == (-int(inv.dpp), -int(inv.ppn))
    assert cancel[STATUS] == "batal" and cancel[ORIGINAL] == inv.number
    assert cancel[REF] == inv.number
    # the two months together report nothing for it
    assert march_rows[0][PPN] + cancel[PPN] == 0


def test_an_invoice_voided_in_its_own_month_is_never_reported(subscription_a, clock):
    clock.now = timezone.make_aware(datetime(2026, 3, 2, 10, 0))
    inv = _issue(subscription_a)
    clock.now = timezone.make_aware(datetime(2026, 3, 30, 10, 0))
    _void(inv)
    assert efaktur_rows(year=2026, month=3) == []
    assert efaktur_rows(year=2026, month=4) == []


def test_paying_an_invoice_later_leaves_its_month_as_reported(subscription_a, clock, operator):
    clock.now = timezone.make_aware(datetime(2026, 3, 20, 10, 0))
    inv = _issue(subscription_a)
    march = efaktur_csv(year=2026, month=3)
    clock.now = timezone.make_aware(datetime(2026, 4, 2, 9, 0))
    services.bank_transfer_confirm(invoice=inv, operator=operator)
    assert efaktur_csv(year=2026, month=3) == march
