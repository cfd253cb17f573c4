"""Helpers for tests that post sub-ledger batches to the ledger, and for old data."""

from decimal import Decimal

from core.ledger.models import ManualEntryRequest
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post


def post_bank_batch(*, lines, on, by, ref: str, entry_id: int | None = None):
    """Post ``lines`` (the credits of a batch) against one bank debit of their total, as
    the payroll deduction posting does."""
    total = sum((ln.credit - ln.debit for ln in lines), Decimal(0))
    return journal_post(
        on=on,
        description="Potong gaji uji (batch)",
        lines=[LineSpec(account_for_role("bank"), debit=total), *lines],
        source="deduction",
        source_ref=ref,
        by=by,
        entry_id=entry_id,
    )


def stuck_request(*, on, by, amount: str = "1000") -> ManualEntryRequest:
    """A manual entry request dated ``on`` waiting for approval in a month closed already,
    as one made before such a request was refused when made (old data): written straight
    to the table, Dr savings interest expense / Cr cash ``amount``."""
    return ManualEntryRequest.objects.create(
        date=on,
        description="Permintaan lama",
        lines=[
            {"account": account_for_role("savings_interest_expense").code, "debit": amount},
            {"account": account_for_role("cash").code, "credit": amount},
        ],
        requested_by=by,
    )


def bypass(account_role: str, amount: str, *, source: str = "other", member_id=None):
    """A module posting that skips its sub-ledger (what the daily reconciliation must
    catch): Dr cash / Cr ``account_role`` ``amount`` today, from ``source``."""
    from django.utils import timezone

    return journal_post(
        on=timezone.localdate(),
        description="posting tanpa buku pembantu",
        by="tests",
        source=source,
        source_ref=f"bypass-{account_role}",
        lines=[
            LineSpec(account_for_role("cash"), debit=Decimal(amount)),
            LineSpec(account_for_role(account_role), credit=Decimal(amount), member_id=member_id),
        ],
    )


def reconciliation_alert(tenant, lang: str = "id") -> str:
    """The staff dashboard's reconciliation alert (its HTML), as the bendahara sees it in
    ``lang``."""
    from django.test import Client

    from tenants.services import tenant_host
    from tests.members import factories as f

    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(f.user("bendahara"))
    c.cookies["django_language"] = lang
    body = c.get("/").content.decode()
    assert 'id="panel-reconciliation"' in body
    return body.split('id="panel-reconciliation"', 1)[1].split("</section>", 1)[0]
