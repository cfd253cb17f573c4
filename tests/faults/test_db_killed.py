"""The database connection killed (``pg_terminate_backend`` from another connection) in the
middle of posting a payroll-deduction batch, of provisioning a sign-up and of a year-end
close: every table of the cooperative (and of the public schema for provisioning) has the
rows it had before — nothing half-written — and running the action again succeeds.

The kill happens at a point inside the action's transaction, after it has written rows:
the posting's own failure hook (after the loans' repayments), the last seeder of a new
cooperative, the move of the SHU after the ledger's year close."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from core.loans.schedules import add_months
from tenants.backup import table_counts
from tests.faults.helpers import backend_pid, kill_backend, reconnect, record_fault

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _fast(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TENANT_SPARE_SCHEMAS = 0


def _public_counts() -> dict[str, int]:
    return table_counts("public")


# ------------------------------------------------------------------------ payroll batch


def test_connection_killed_mid_payroll_batch_leaves_nothing_and_the_retry_posts(
    scratch_tenant, django_db_blocker, monkeypatch, record_property
):
    from core.deductions import services as svc
    from core.deductions.models import DeductionImport, DeductionRun
    from core.deductions.services import posting
    from core.ledger.models import JournalEntry
    from tests.deductions.conftest import assert_reconciled, coop_build, csv_bytes, make_run

    record_fault(record_property, "db_connection_killed:payroll_batch")
    with django_db_blocker.unblock():
        connection.set_tenant(scratch_tenant)
        day = min(timezone.localdate().day, 28)
        t = timezone.localdate()
        this = date(t.year, t.month, day)
        built = coop_build(day, (add_months(this, -1), this))
        by = built["by"]
        run = make_run(on=this, by=by)
        ag = built["agencies"][0]
        rows = [(ln.nip, int(ln.total) + 5_000) for ln in run.lines.filter(agency=ag)]
        imp = svc.deduction_import_upload(
            run=run, agency=ag, content=csv_bytes(rows), file_name="a.csv", by=by
        )
        ids = svc.deduction_run_post_all_start(run=run, by=by)
        assert ids == [imp.pk]
        before = table_counts(scratch_tenant.schema_name)

        killed = []

        def die(name):
            if name == "after_loans" and not killed:
                killed.append(backend_pid())
                kill_backend(killed[0])

        monkeypatch.setattr(posting, "_inject_failure_point", die)
        # the Celery task's service: the batch fails, its result is recorded on the run
        result = svc.deduction_run_post_one(run=run, import_id=imp.pk, by=by)
        assert killed and result["ok"] is False
        reconnect()
        connection.set_tenant(scratch_tenant)
        after = table_counts(scratch_tenant.schema_name)
        # nothing of the batch: only the run's progress row was updated (same counts)
        assert after == before
        imp.refresh_from_db()
        assert imp.status == DeductionImport.Status.VALID and imp.entry_id is None
        assert not JournalEntry.objects.filter(source="deduction").exists()
        assert_reconciled()

        # retry: "post all" again posts the batch, once
        monkeypatch.undo()
        ids = svc.deduction_run_post_all_start(run=run, by=by)
        assert ids == [imp.pk]
        assert svc.deduction_run_post_one(run=run, import_id=imp.pk, by=by)["ok"] is True
        imp.refresh_from_db()
        assert imp.status == DeductionImport.Status.POSTED
        assert JournalEntry.objects.filter(source="deduction").count() == 1
        run.refresh_from_db()
        assert run.posting_status == DeductionRun.PostingStatus.DONE
        assert_reconciled()
        connection.set_schema_to_public()


# --------------------------------------------------------------------------- provisioning

_kill = {"armed": False, "pid": None}


def killing_seeder(*, cooperative):
    """TENANT_SEEDERS entry: runs last inside cooperative_create's transaction."""
    if _kill["armed"]:
        _kill["armed"] = False
        _kill["pid"] = backend_pid()
        kill_backend(_kill["pid"])


@pytest.fixture
def signup_slug(django_db_blocker):
    slug = "putus-koneksi"
    yield slug
    from tenants.models import Cooperative, SignupRequest
    from tenants.services import cooperative_discard
    from tests.billing.cleanup import billing_rows_drop

    with django_db_blocker.unblock():
        reconnect()
        coop = Cooperative.objects.filter(slug=slug).first()
        SignupRequest.objects.filter(slug=slug).delete()
        if coop is not None:
            billing_rows_drop(cooperative=coop)
            cooperative_discard(cooperative=coop)


def test_connection_killed_mid_provisioning_leaves_nothing_and_the_retry_provisions(
    django_db_setup, django_db_blocker, settings, signup_slug, record_property
):
    from django.contrib.auth.hashers import make_password

    from tenants.models import Cooperative, Domain, SignupRequest
    from tenants.signup import signup_provision

    record_fault(record_property, "db_connection_killed:provisioning")
    settings.TENANT_SEEDERS = [
        *settings.TENANT_SEEDERS,
        "tests.faults.test_db_killed.killing_seeder",
    ]
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        signup = SignupRequest.objects.create(
            public_id="putus-" + "x" * 20,
            slug=signup_slug,
            name="KPRI Putus Koneksi",
            legal_number="AHU-9",
            legal_date=date(2020, 1, 1),
            province="Jawa Barat",
            regency="Bandung",
            member_count=40,
            contact_name="Sari",
            email="sari@putus.test",
            phone="081234567890",
            password_hash=make_password("Koperasi-Maju-2026"),
            terms_accepted_at=timezone.now(),
            status=SignupRequest.Status.QUEUED,
            verified_at=timezone.now(),
        )
        before = _public_counts()
        schemas_before = _schemas()
        _kill["armed"] = True
        with pytest.raises(DatabaseError):
            signup_provision(signup_id=signup.pk)
        assert _kill["pid"] is not None
        reconnect()
        assert not Cooperative.objects.filter(slug=signup_slug).exists()
        assert not Domain.objects.filter(domain__startswith=f"{signup_slug}.").exists()
        assert _schemas() == schemas_before  # no schema left (nor a spare taken)
        signup.refresh_from_db()
        assert signup.status == SignupRequest.Status.PROVISIONING  # the attempt, counted
        after = _public_counts()
        assert after == before  # no row anywhere in public (the attempt count is an update)

        # retry (the task's retry or the sweep of stuck sign-ups): provisioned
        done = signup_provision(signup_id=signup.pk)
        assert done.status == SignupRequest.Status.READY
        coop = Cooperative.objects.get(slug=signup_slug)
        assert Domain.objects.filter(tenant=coop).count() == 1
        assert coop.schema_name in _schemas()


def _schemas() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'coop\\_%%'")
        return {r[0] for r in cur.fetchall()}


# ------------------------------------------------------------------------------ year end


def _closable_year(year: int, by) -> None:
    """A year with an opening balance, income and an expense, every month closed."""
    from core.ledger.models import Period
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, period_close
    from core.loans.arrears import loans_arrears_update

    fiscal_year_ensure(year=year)
    journal_post(
        on=date(year, 1, 2),
        description="Saldo awal",
        source="opening",
        source_ref=f"faults-opening-{year}",
        by=by,
        lines=[
            LineSpec(account_for_role("bank"), debit=Decimal("500000000")),
            LineSpec(account_for_role("opening_balance"), credit=Decimal("500000000")),
        ],
    )
    journal_post(
        on=date(year, 6, 30),
        description="Pendapatan lain",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("cash"), debit=Decimal("100000000")),
            LineSpec(account_for_role("other_income"), credit=Decimal("100000000")),
        ],
    )
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_interest_accrue

    loans_arrears_update(on=date(year, 12, 31), by=by)
    for p in SavingsProduct.objects.filter(interest_enabled=True, interest_rate_annual__gt=0):
        savings_interest_accrue(product=p, year=year, month=12, by=by)
    for period in Period.objects.filter(fiscal_year__year=year):
        period_close(period=period, by=by)


def test_connection_killed_mid_year_end_close_leaves_nothing_and_the_retry_closes(
    scratch_tenant, django_db_blocker, monkeypatch, record_property
):
    from core.ledger.models import FiscalYear, JournalEntry
    from core.yearend import services as ye
    from core.yearend.models import YearEnd
    from tests.members import factories as f

    record_fault(record_property, "db_connection_killed:year_end_close")
    year = timezone.localdate().year - 1
    with django_db_blocker.unblock():
        connection.set_tenant(scratch_tenant)
        by = f.user("bendahara")
        _closable_year(year, by)
        before = table_counts(scratch_tenant.schema_name)
        real_close = ye.fiscal_year_close
        killed = []

        def close_then_die(*, fiscal_year, by, before_close, after_close, **kw):
            def after(fy, closing):
                after_close(fy, closing)  # closing entry and SHU transfer written
                killed.append(backend_pid())
                kill_backend(killed[0])

            return real_close(
                fiscal_year=fiscal_year, by=by, before_close=before_close, after_close=after, **kw
            )

        monkeypatch.setattr(ye, "fiscal_year_close", close_then_die)
        with pytest.raises(DatabaseError):
            ye.yearend_close(year=year, by=by)
        assert killed
        reconnect()
        connection.set_tenant(scratch_tenant)
        assert table_counts(scratch_tenant.schema_name) == before
        assert FiscalYear.objects.get(year=year).status != FiscalYear.Status.CLOSED
        assert not YearEnd.objects.filter(year=year, status=YearEnd.Status.CLOSED).exists()

        monkeypatch.undo()
        by.refresh_from_db()
        done = ye.yearend_close(year=year, by=by)
        assert done.status == YearEnd.Status.CLOSED
        assert FiscalYear.objects.get(year=year).status == FiscalYear.Status.CLOSED
        assert JournalEntry.objects.filter(fiscal_year=year, source="closing").count() == 1
        connection.set_schema_to_public()
