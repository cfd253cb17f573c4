"""Deductions test set-up: a small cooperative (two agencies, a few members, loans due at
the cut-off), helpers to run a month, fill the exported XLSX and check reconciliation."""

import copy
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.loans.models import LoanProduct
from core.loans.schedules import add_months
from tests.loans.conftest import approval_backdate
from tests.members import factories as f
from tests.module_coop import module_uncommitted


def docs():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return [
        ("application_letter", SimpleUploadedFile("surat.pdf", b"%PDF-1.4 surat")),
        ("payslip", SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip")),
    ]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def assert_reconciled():
    """Savings and loan sub-ledgers equal their control accounts; deferred DB checks
    (balanced entries, repayments linked) hold."""
    from core.loans.selectors import loans_reconciliation
    from core.savings.selectors import savings_reconciliation

    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    rec = loans_reconciliation()
    assert rec["principal_subledger"] == rec["principal_ledger"], rec
    s = savings_reconciliation()
    assert s.ok, (s.rows, s.account_mismatches, s.member_mismatches)


def _cutoff_day() -> int:
    return min(timezone.localdate().day, 28)


def _cutoffs(cutoff_day: int) -> tuple[date, date]:
    t = timezone.localdate()
    this = date(t.year, t.month, cutoff_day)
    return add_months(this, -1), this


@pytest.fixture
def cutoff_day():
    return _cutoff_day()


@pytest.fixture
def cutoffs(cutoff_day):
    """(previous month's cut-off, this month's cut-off)."""
    return _cutoffs(cutoff_day)


@pytest.fixture(scope="module")
def coop_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """``coop_build`` once per test module (it costs about a second: users, members, two
    loans applied, approved and paid out), in cooperative A inside a transaction held open
    for the module and rolled back at its end (``tests.module_coop.module_uncommitted``;
    a later module-scoped fixture adds to it with ``uncommitted_add``). Each test starts
    from the same data. Keep tests that commit for real (``scratch_tenant``, threads) in
    modules without ``coop`` (as ``test_concurrency`` is)."""
    day = _cutoff_day()
    with module_uncommitted(
        django_db_blocker, tmp_path_factory, lambda: coop_build(day, _cutoffs(day))
    ) as built:
        yield built


@pytest.fixture
def coop(coop_once, in_tenant_a):
    """The module's cooperative (``coop_once``), its objects copied so that a test that
    changes one in memory leaves the next test's copy as built."""
    return copy.deepcopy(coop_once)


def coop_build(cutoff_day, cutoffs):
    """Bendahara + pengawas, agencies A (3 members) and B (1 member); m1 has a flat loan
    of 10,000,000 at 1 %/month over 10 months whose first instalment is due at last
    month's cut-off; m2 a loan whose first instalment is due at this month's cut-off.
    (In the schema the connection points at.)"""
    from core.deductions.services import deduction_settings_update
    from core.ledger.services import fiscal_year_ensure
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify

    staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
    deduction_settings_update(
        by=staff["bendahara"], cutoff_day=cutoff_day, priority="jasa,principal,wajib,others"
    )
    ag_a = f.agency("DISDIK", "Dinas Pendidikan")
    ag_b = f.agency("DINKES", "Dinas Kesehatan")
    m = [
        f.member(agency_obj=ag_a, take_home_pay=D("15000000")),
        f.member(agency_obj=ag_a, take_home_pay=D("15000000")),
        f.member(agency_obj=ag_a, take_home_pay=D("15000000")),
        f.member(agency_obj=ag_b, take_home_pay=D("15000000")),
    ]
    product = LoanProduct.objects.create(
        code="PG",
        name="Pinjaman Uji",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        late_penalty_rate=D("0"),
        max_instalment_share=D("50"),
        min_membership_months=0,
    )
    prev, this = cutoffs

    def loan(member, first_due):
        on = add_months(first_due, -1)
        # in January and February two months ago is last year: open it first, as an admin
        # would (the books of the test cooperatives start this year)
        fiscal_year_ensure(year=on.year)
        ln = loan_apply(
            member=member,
            product=product,
            principal=D("10000000"),
            tenor=10,
            by=staff["petugas"],
            on=on,
            documents=docs(),
        )
        loan_verify(loan=ln, by=staff["bendahara"])
        loan_approve(loan=ln, by=staff["ketua"])
        approval_backdate(ln, on)  # approved on the day it is paid out
        loan_disburse(loan=ln, by=staff["bendahara"], on=on, first_due_date=first_due)
        ln.refresh_from_db()
        return ln

    loans = {"m1": loan(m[0], prev), "m2": loan(m[1], this)}
    return {
        "staff": staff,
        "by": staff["bendahara"],
        "agencies": (ag_a, ag_b),
        "m": m,
        "loans": loans,
    }


def make_run(*, on: date, by):
    from core.deductions.services import deduction_run_create, deduction_run_generate

    run = deduction_run_create(year=on.year, month=on.month, by=by)
    return deduction_run_generate(run=run, by=by)


def filled_xlsx(content: bytes, amounts: dict[str, object]) -> bytes:
    """The exported XLSX with the Realisasi column filled per NIP (missing NIPs: 0)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    header = next(r for r in ws.iter_rows(min_row=1, max_row=10) if r[0].value == "No")
    cols = {c.value: c.column for c in header}
    for row in ws.iter_rows(min_row=header[0].row + 1):
        nip = row[cols["NIP"] - 1].value
        if not nip or row[0].value == "TOTAL":
            continue
        row[cols["Realisasi"] - 1].value = amounts.get(nip, 0)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, *, header=("NIP", "Jumlah"), encoding="utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


HOST = "alpha.localhost"


def login(user):
    """A test client on cooperative A's host, logged in as ``user``."""
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


@pytest.fixture
def ready_run(coop, cutoffs):
    """This month's run, generated."""
    return make_run(on=cutoffs[1], by=coop["by"])


def upload_on_screen(c, run, agency, rows):
    """Upload a CSV of (NIP, amount) rows on the run's page; the URL of the import page."""
    f = io.BytesIO(csv_bytes(rows))
    f.name = "r.csv"
    r = c.post(f"/potong-gaji/{run.pk}/", {"upload": "1", "agency": agency.pk, "file": f})
    assert r.status_code == 302 and "/impor/" in r.url
    return r.url
