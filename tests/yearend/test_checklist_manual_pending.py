"""The close checklist's item for manual entry requests waiting for approval says, when
some of them are dated in the books closed already (old data: made before such a request
was refused when made), that those can only be rejected, in the words of the closes'
refusal (``manual_requests_refusal``): approving one is refused, so "approve or reject"
would send the treasurer to a button that is not there."""

from datetime import date
from decimal import Decimal
from html import unescape

from django.test import Client

from core.common.dates import format_tanggal
from core.ledger.models import ManualEntryRequest, Period
from core.ledger.services import (
    LineSpec,
    fiscal_year_ensure,
    ledger_settings_update,
    manual_entry_submit,
    period_close,
)
from core.yearend.selectors import close_checklist
from tenants.services import tenant_host
from tests.ledger.helpers import stuck_request

from .conftest import YEAR


def _waiting(staff, on: date) -> ManualEntryRequest:
    ledger_settings_update(by=staff["admin"], manual_entry_approval=True)
    return manual_entry_submit(
        on=on,
        description="Koreksi biaya",
        lines=[LineSpec("5306", debit=Decimal("1000")), LineSpec("1101", credit=Decimal("1000"))],
        by=staff["bendahara"],
    )


def _june_closed(staff) -> None:
    fiscal_year_ensure(year=YEAR)
    period_close(period=Period.objects.get(start_date=date(YEAR, 6, 1)), by=staff["bendahara"])


def _item():
    return {i.key: i for i in close_checklist(year=YEAR)}["manual_pending"]


def _named(r: ManualEntryRequest) -> str:
    return f"#{r.pk} tanggal {format_tanggal(r.date)}"


REJECT_ONLY = (
    "Permintaan {r} bertanggal dalam buku yang sudah ditutup (sampai 30 Juni {y}), jadi "
    "tidak dapat disetujui lagi, hanya ditolak."
)


def test_the_checklist_says_a_request_in_the_closed_books_can_only_be_rejected(staff):
    _june_closed(staff)
    stuck = stuck_request(on=date(YEAR, 6, 10), by=staff["bendahara"])
    item = _item()
    assert not item.ok
    assert item.detail == (
        "1 jurnal menunggu persetujuan. " + REJECT_ONLY.format(r=_named(stuck), y=YEAR)
    )


def test_the_checklist_names_apart_those_only_to_be_rejected(staff):
    _june_closed(staff)
    stuck = stuck_request(on=date(YEAR, 6, 10), by=staff["bendahara"])
    _waiting(staff, date(YEAR, 11, 5))
    item = _item()
    assert item.detail == (
        "2 jurnal menunggu persetujuan. " + REJECT_ONLY.format(r=_named(stuck), y=YEAR)
    )


def test_the_checklist_of_requests_that_may_still_be_approved_is_as_before(staff):
    _june_closed(staff)
    _waiting(staff, date(YEAR, 11, 5))
    assert _item().detail == "1 jurnal menunggu persetujuan."


def test_the_year_page_shows_it_in_the_users_language(staff, tenant_a):
    _june_closed(staff)
    stuck = stuck_request(on=date(YEAR, 6, 10), by=staff["bendahara"])
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    page = unescape(c.get(f"/tutup-buku/{YEAR}/").content.decode())
    assert REJECT_ONLY.format(r=_named(stuck), y=YEAR) in page, page
    c.cookies["django_language"] = "en"
    page = unescape(c.get(f"/tutup-buku/{YEAR}/").content.decode())
    assert f"#{stuck.pk} dated" in page
    assert "can no longer be approved, only rejected" in page, page
