"""A movement posted by an agency's payroll batch, named as the member knows it — the one
wording of the member portal and of the staff pages (kartu simpanan, loan page, payment
page): "Potong gaji Maret 2026 – <instansi> · ref. JU-…".

The batches are the deductions app's, which sits above savings and loans, the apps that
show them (the dependency order): deductions registers its reader here once at start-up
(``AppConfig.ready``, like ``core.common.db_refusals``), and savings, loans and the portal
read through ``payroll_batches_by_entry``. A batch issues no receipt: its journal entry,
the batch's reference, is what the office finds it by."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.common.permissions import has_role


@dataclass(frozen=True)
class PayrollBatch:
    """An agency's posted payroll batch as a member recognises it: the month deducted
    (its first day), the agency, and the batch's reference (its journal entry, which
    the office finds it by); ``reversal``: the entry that cancelled the batch. ``url``:
    the batch's staff page, readable by ``read_roles``."""

    period: date
    agency: str
    reference: str
    reversal: bool = False
    url: str = ""
    read_roles: frozenset = frozenset()

    def url_for(self, user) -> str:
        """The batch's page if ``user`` may read it, else ""."""
        return self.url if has_role(user, self.read_roles) else ""


Reader = Callable[..., dict[int, PayrollBatch]]
_reader: list[Reader] = []


def payroll_batches_register(reader: Reader) -> None:
    """The deductions app's ``reader(*, entry_ids) -> {entry id: PayrollBatch}``."""
    _reader[:] = [reader]


def payroll_batches_by_entry(*, entry_ids: Iterable[int | None]) -> dict[int, PayrollBatch]:
    """The payroll batches posted (or reversed) by these journal entries, by entry id:
    what a payroll repayment or savings movement shows instead of a receipt number.
    Entries of no batch are not in the result. No reader registered is an error, never
    an empty result (the batches would be shown by their memos without a word)."""
    if not _reader:
        raise RuntimeError(
            "no payroll batch reader registered (core.deductions registers it in ready())"
        )
    return _reader[0](entry_ids=entry_ids)


def payroll_description(batch: PayrollBatch, note: str = "") -> str:
    """ "Potong gaji Maret 2026 – <instansi> · ref. JU-…" (a reversed batch: "Pembatalan
    potong gaji …"), then what its memo says beyond that (``note``)."""
    values = {"month": date_format(batch.period, "F Y"), "agency": batch.agency}
    if batch.reversal:
        label = _("Pembatalan potong gaji %(month)s – %(agency)s") % values
    else:
        label = _("Potong gaji %(month)s – %(agency)s") % values
    parts = [label, _("ref. %(ref)s") % {"ref": batch.reference}]
    return " · ".join(parts + ([note] if note else []))


# The memos a batch writes on a savings movement that say no more than its month (the
# batch's own name replaces them); any other (an excess, a redirect) is still shown.
PLAIN_PAYROLL_MEMOS = ("Potong gaji %(m)s", "Pembatalan potong gaji %(m)s")


def payroll_note(memo: str, batch: PayrollBatch) -> str:
    """What a batch's memo says beyond its month: nothing for the plain one; any other
    with the batch's code (``03/2026``) written as the month (``Maret 2026``)."""
    label = f"{batch.period:%m/%Y}"
    plain = {m % {"m": label} for m in PLAIN_PAYROLL_MEMOS}
    plain |= {_(m) % {"m": label} for m in PLAIN_PAYROLL_MEMOS}
    return "" if memo in plain else memo.replace(label, date_format(batch.period, "F Y"))
