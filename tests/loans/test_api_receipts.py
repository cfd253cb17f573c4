"""The loans API and ``str(repayment)`` never give a payment that issued no receipt of the
ANG- series (a payroll deduction, a top-up's or an exit's settlement) the stand-in number
``KW-<year>-<row id>``, a number an auditor checking the series would look for and never
find: the API's ``receipt_number`` is null for it and its ``description`` says what it
was, in the words of the staff pages (``core.loans.selectors.repayment_name``), in the
request's language; a receipt of the series keeps its number."""

import re
from datetime import date

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import translation

from core.audit.models import AuditEvent
from core.deductions.models import DeductionImport
from core.loans.models import Repayment
from tests.portal import conftest as portal

STAND_IN = re.compile(r"KW-\d{4}-\d{7}")
MONTHS = {2: "Februari", 3: "Maret"}
# last year, as the portal's loan story (tests/portal/conftest.py) it reads: the shared
# cooperative's books start this year (a fixed 2026 failed under a clock in 2028)
Y = portal.Y

# the member portal's story (tests/portal/conftest.py): payroll, counter and top-up payments
products = portal.products
rina = portal.rina
loan_story = portal.loan_story


@pytest.fixture
def left(staff, rina):
    """Rina with a loan of 5.000.000 from January, February's payroll cut, who left on
    30 April: the loan offset against her savings in the exit settlement."""
    from core.deductions.services import deduction_settings_update
    from core.exits.services import exit_settlement_confirm, exit_settlement_preview

    by = staff["bendahara"]
    portal.books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    portal.deposit(rina, "pokok", "100000", date(Y, 1, 5), by)
    portal.deposit(rina, "sukarela", "20000000", date(Y, 1, 5), by)
    loan = portal.loan_disbursed(
        rina, portal.loan_product(), staff, "5000000", 10, date(Y, 1, 15), date(Y, 2, 20)
    )
    portal.payroll_month(rina, 2, "600000", date(Y, 2, 25), by, year=Y)
    on = date(Y, 4, 30)
    preview = exit_settlement_preview(member=rina, on=on)
    exit_settlement_confirm(
        member=rina, reason="resigned", on=on, by=by, expected_net=preview.net_payable
    )
    return {"loan": loan, "on": on}


def _label(imp) -> str:
    month = MONTHS[imp.run.month]
    return f"Potong gaji {month} {imp.run.year} – {imp.agency.name} · ref. {imp.entry}"


def _batches():
    return {
        imp.run.month: imp
        for imp in DeductionImport.objects.filter(status="posted").select_related(
            "run", "agency", "entry"
        )
    }


def test_the_api_gives_payroll_and_topup_payments_no_receipt_number(tenant_a, staff, loan_story):
    a, b = loan_story["a"], loan_story["b"]
    c = portal.client_for(tenant_a, staff["pengawas"])
    r = c.get("/api/v1/loans/repayments/", {"loan": a.pk})
    assert r.status_code == 200, r.content
    assert not STAND_IN.search(r.content.decode()), r.content
    rows = {row["id"]: row for row in r.json()["results"]}
    batches = _batches()
    payroll = a.repayments.filter(channel="payroll")
    assert payroll.count() == 2
    for rep in payroll:
        row = rows[rep.pk]
        assert row["receipt_number"] is None
        assert row["channel"] == "payroll"
        assert row["description"] == _label(batches[rep.paid_on.month])
    topup = a.repayments.get(channel="topup")
    assert rows[topup.pk]["receipt_number"] is None
    assert rows[topup.pk]["description"] == f"Dilunasi oleh pinjaman baru {b.number}"
    # a receipt of the series keeps its number, and is named by it
    counter = a.repayments.get(channel="counter")
    assert rows[counter.pk]["receipt_number"] == counter.receipt_number
    assert counter.receipt_number.startswith("ANG-")
    assert rows[counter.pk]["description"] == counter.receipt_number
    # one payment read alone says the same
    one = c.get(f"/api/v1/loans/repayments/{topup.pk}/").json()
    assert one["receipt_number"] is None and one["description"] == rows[topup.pk]["description"]


def test_the_api_names_a_loan_settled_at_the_exit_in_the_request_language(tenant_a, staff, left):
    loan, on = left["loan"], left["on"]
    rep = loan.repayments.get(channel="settlement")
    c = portal.client_for(tenant_a, staff["petugas"])
    body = c.get(f"/api/v1/loans/repayments/{rep.pk}/").json()
    assert body["receipt_number"] is None
    assert body["description"] == f"Diperhitungkan pada penyelesaian keluar {date_filter(on)}"
    c.cookies["django_language"] = "en"  # the switcher's choice (never Accept-Language)
    en = c.get(f"/api/v1/loans/repayments/{rep.pk}/").json()
    assert en["receipt_number"] is None
    with translation.override("en"):
        assert en["description"] == f"Counted in the exit settlement {date_filter(on)}"


def test_str_of_a_payment_that_issued_no_receipt_says_what_it_was(tenant_a, staff, left):
    loan = left["loan"]
    settled = loan.repayments.get(channel="settlement")
    payroll = loan.repayments.get(channel="payroll")
    assert not STAND_IN.search(str(settled)) and not STAND_IN.search(str(payroll))
    assert str(settled) == f"Dari simpanan (keluar anggota) {date_filter(left['on'])}"
    assert str(payroll).startswith(f"Potong gaji {date_filter(payroll.paid_on)} · ")
    assert f"ref. {payroll.entry}" in str(payroll)


def test_a_reversed_payroll_batch_audits_its_payments_without_a_stand_in_number(
    tenant_a, staff, rina
):
    from core.deductions.services import deduction_import_reverse, deduction_settings_update

    by = staff["bendahara"]
    portal.books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    loan = portal.loan_disbursed(
        rina, portal.loan_product(), staff, "5000000", 10, date(Y, 1, 15), date(Y, 2, 20)
    )
    imp = portal.payroll_month(rina, 2, "600000", date(Y, 2, 25), by, year=Y)
    rep = Repayment.objects.get(loan=loan, channel="payroll")
    deduction_import_reverse(imp=imp, reason="file instansi lain", by=by)
    event = AuditEvent.objects.get(action="loan.repayment_reverse", target_id=str(loan.pk))
    assert not STAND_IN.search(str(event.data)), event.data
    assert event.data["repayment"] == rep.pk
    assert f"ref. {rep.entry}" in event.data["receipt"]
