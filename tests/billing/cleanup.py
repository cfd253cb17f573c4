"""Clean-up of a cooperative a test committed (scratch tenants, restores): its billing
rows go entirely. billing_records_purge keeps a deleted cooperative's invoices and
credit notes (tax records); a test drops them too, so the next test's e-Faktur data
and invoice lists hold only its own."""

from django.db.models import Q

from billing.models import CreditNote, DeletedCooperative, Invoice, UpgradeDifference
from billing.services import billing_records_purge


def billing_rows_drop(*, cooperative) -> None:
    pks = list(
        Invoice.objects.filter(subscription__cooperative=cooperative).values_list("pk", flat=True)
    )
    billing_records_purge(cooperative=cooperative)
    CreditNote.objects.filter(invoice_id__in=pks).delete()
    UpgradeDifference.objects.filter(invoice_id__in=pks).delete()
    UpgradeDifference.objects.filter(renewal_id__in=pks).delete()
    owners = set(
        Invoice.objects.filter(pk__in=pks).values_list("deleted_cooperative_id", flat=True)
    )
    Invoice.objects.filter(pk__in=pks).delete()
    DeletedCooperative.objects.filter(
        Q(pk__in=owners - {None}) | Q(cooperative_pk=cooperative.pk)
    ).delete()
