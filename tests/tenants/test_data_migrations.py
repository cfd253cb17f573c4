"""The tenant migrations run on a cooperative that holds data, not only on the empty
schemas every other test migrates: a data migration (RunPython / RunSQL that touches
rows) or a constraint added over existing rows can fail only there, as loans 0016 did on
a real cooperative ("cannot ALTER TABLE loans_loan because it has pending trigger
events": its backfill queued the table's deferred checks, then the constraint's ALTER
found them pending).

One scratch cooperative (its writes commit, as in production) gets a year's worth of
books in small: members at one agency, pokok / wajib / sukarela savings with deposits,
a withdrawal and a cancelled deposit, a hari raya account paid out early, a frozen
account, loans disbursed and partly repaid (one paid off, one topped up), a payroll
month imported and posted, the month closed, a member who left. Then every app of
``ROLLBACK_TO`` is migrated back to the migration named there (with what depends on
what is unapplied) and the schema forward to the latest, through the path production
takes (``lumbung.console.migrate.migrate_schema_sharing``): every migration after those
points is applied to tables with rows, each in its own transaction. The books must then
still hold (trial balance, sub-ledgers, balances table, the deferred constraints).

Covering a new migration needs nothing: it comes after its app's rollback point. A new
migration in an app without one fails ``test_every_new_tenant_migration_is_covered``
until the app gets a rollback point here. Move a rollback point forward when the
round trip grows slow; a point must be reversible back to it with the data below (a
backward migration re-adds the old constraints over rows the new code wrote: data that
only the newest code can write, e.g. a payoff whose jasa paid ahead covers it all, is
left out).
"""

import sys
import time
from datetime import timedelta
from decimal import Decimal as D

from django.apps import apps as django_apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.models import Sum
from django.utils import timezone

from core.deductions.models import DeductionLine
from core.deductions.services import (
    deduction_import_post,
    deduction_import_upload,
    deduction_run_create,
    deduction_run_generate,
    deduction_settings_update,
)
from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.ledger.models import JournalEntry, JournalLine, Period
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import balances_check
from core.ledger.services import fiscal_year_ensure, period_close
from core.loans.models import Instalment, Loan, LoanProduct, LoanWriteOff, Repayment
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_payoff,
    loan_repay,
    loan_verify,
)
from core.members.models import Member
from core.members.services import heir_add
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.seeding import product_by_kind
from core.savings.services import (
    savings_account_freeze,
    savings_account_get_or_open,
    savings_early_withdraw,
    savings_product_update,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from lumbung.console.migrate import migrate_schema_sharing
from tests.loans.conftest import month_close_as_treasurer
from tests.members import factories as f

# app label -> the migration it is rolled back to (what comes after runs on rows)
ROLLBACK_TO = {
    # 0019 rebuilds the cash-flow days from the lines; 0023 locks the entry's month
    # (its reverse restates 0018's trigger function)
    "ledger": "0018_entry_year_close",
    "members": "0006_memberimport_undone",  # 0007 checks member numbers, adds uniques
    "savings": "0014_exitsettlement_interest_credited",  # 0015-0016 RunSQL, 0020 a trigger
    "loans": "0015_loan_closed_by_writeoff",  # 0016 backfills dates; 0017-0020
    "yearend": "0005_payout_by_bank_transfer",  # 0006 the heirs of a deceased's payout
    "deductions": "0006_line_paid_detail",  # 0007 an index
    "onboarding": "0002_documented_reconciliation_adjustment",  # 0003 the upload previews
    "users": "0002_api_keys",  # 0003 the password links' void time
    "common": "0001_idempotency_key",  # 0002 refusals kept with their key
}
# the latest migration of each tenant app without a rollback point, as it was when the
# harness was written: a migration added to one of them needs a point in ROLLBACK_TO
UNCOVERED_LEAVES = {
    "audit": "0002_immutable",
    "auth": "0012_alter_user_first_name_max_length",
    "axes": "0010_accessattemptexpiration",
    "contenttypes": "0002_remove_content_type_name",
    "otp_totp": "0003_add_timestamps",
    "sessions": "0001_initial",
    "sharing": "0001_dinas_consent",
}
CUTOFF_DAY = 20


def _docs():
    return [
        ("application_letter", SimpleUploadedFile("surat.pdf", b"%PDF-1.4 surat")),
        ("payslip", SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip")),
    ]


def _books_with_rows() -> None:
    """A cooperative's books in small, made through the services (the connection is on
    the scratch schema; every call commits)."""
    today = timezone.localdate()
    # three months of books: the first closed at the end, the months before it closed
    m1 = (today.replace(day=1) - timedelta(days=75)).replace(day=1)
    m2 = (m1 + timedelta(days=32)).replace(day=1)
    for year in range(today.year - 1, m1.year - 1, -1):
        fiscal_year_ensure(year=year)
    staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas")}
    for period in Period.objects.filter(end_date__lt=m1, status=Period.Status.OPEN):
        period_close(period=period, by=staff["bendahara"])
    deduction_settings_update(
        by=staff["bendahara"], cutoff_day=CUTOFF_DAY, priority="jasa,principal,wajib,others"
    )
    products = {k: product_by_kind(k) for k in ("pokok", "wajib", "sukarela", "berjangka")}
    savings_product_update(
        product=products["berjangka"],
        by=staff["bendahara"],
        early_penalty_type="percent",
        early_penalty_value=D("2"),
    )
    agency = f.agency("DISDIK", "Dinas Pendidikan")
    members = [f.member(agency_obj=agency, take_home_pay=D("15000000")) for _ in range(5)]
    teller, bendahara = staff["petugas"], staff["bendahara"]
    day1 = m1 + timedelta(days=1)

    def deposit(m, kind, amount, on=day1):
        acc = savings_account_get_or_open(member=m, product=products[kind], on=on)
        return teller_deposit(account=acc, amount=D(amount), channel="cash", on=on, by=teller)

    for m in members:
        deposit(m, "pokok", "100000")
        deposit(m, "wajib", "50000")
        deposit(m, "sukarela", "2000000")
    sukarela = deposit(members[0], "sukarela", "500000").account
    teller_withdraw(account=sukarela, amount=D("300000"), channel="cash", on=day1, by=teller)
    wrong = deposit(members[1], "sukarela", "777000")
    teller_reverse(txn=wrong, on=day1, reason="salah input", by=bendahara)
    deposit(members[2], "berjangka", "300000")
    hari_raya = deposit(members[3], "berjangka", "400000").account
    savings_early_withdraw(
        account=hari_raya,
        on=day1 + timedelta(days=3),
        channel="cash",
        reason="berobat",
        by=bendahara,
    )
    frozen = savings_account_freeze(
        account=deposit(members[4], "sukarela", "100000").account,
        reason="sengketa ahli waris",
        by=bendahara,
    )

    product = LoanProduct.objects.create(
        code="MIG",
        name="Pinjaman Uji Migrasi",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        admin_fee_kind="percent",
        admin_fee_value=D("1"),
        wajib_pinjam_kind="percent",
        wajib_pinjam_value=D("1"),
        late_penalty_rate=D("0"),
        early_payoff_kind="percent",
        early_payoff_value=D("1"),
        max_instalment_share=D("50"),
        min_membership_months=0,
    )

    def loan(m, principal, tenor, on, topup_of=None):
        ln = loan_apply(
            member=m,
            product=product,
            principal=D(principal),
            tenor=tenor,
            by=teller,
            on=on,
            documents=_docs(),
            topup_of=topup_of,
        )
        loan_verify(loan=ln, by=bendahara, on=on)
        loan_approve(loan=ln, by=staff["ketua"], on=on)
        loan_disburse(loan=ln, by=bendahara, on=on)
        ln.refresh_from_db()
        return ln

    loans = [loan(members[i], "6000000", 12, day1) for i in range(4)]
    # the payroll month: its list generated at the cut-off, the agency's realized
    # amounts (one member short) imported and posted
    run = deduction_run_generate(
        run=deduction_run_create(year=m1.year, month=m1.month, by=bendahara), by=bendahara
    )
    rows = [
        (ln.member.nip, int(ln.total if i else ln.total / 2))
        for i, ln in enumerate(
            DeductionLine.objects.filter(run=run, agency=agency)
            .select_related("member")
            .order_by("member_id")
        )
    ]
    content = ("NIP,Jumlah\n" + "".join(f"{n},{a}\n" for n, a in rows)).encode()
    imp = deduction_import_upload(
        run=run, agency=agency, content=content, file_name="r.csv", by=bendahara
    )
    deduction_import_post(imp=imp, by=bendahara, on=m1.replace(day=CUTOFF_DAY + 5))
    month_close_as_treasurer(period=Period.objects.get(start_date=m1), by=bendahara)
    # the next month: counter repayments, a payoff, a top-up, a member leaving
    on = m2 + timedelta(days=4)
    loan_repay(loan=loans[0], amount=D("660000"), by=teller, on=on)
    loan_repay(loan=loans[1], amount=D("1000000"), by=teller, on=on, excess_to="principal")
    loan_payoff(loan=loans[2], by=bendahara, on=on)
    loan(members[3], "12000000", 12, on, topup_of=loans[3])
    leaver = f.member(agency_obj=agency, take_home_pay=D("9000000"))
    deposit(leaver, "pokok", "100000", on=on)
    deposit(leaver, "sukarela", "250000", on=on)
    exit_settlement_confirm(
        member=leaver,
        reason="retired",
        on=on,
        by=bendahara,
        expected_net=exit_settlement_preview(member=leaver, on=on).net_payable,
    )
    # a member who died: their loan waived by the board's decision (a write-off record
    # of the exit, which loans 0028 makes again from the settlement's entry)
    deceased = f.member(agency_obj=agency, take_home_pay=D("9000000"))
    deposit(deceased, "pokok", "100000", on=on)
    loan(deceased, "3000000", 12, on)
    heir_add(member=deceased, by=bendahara, full_name="Maria Tingang", relationship="istri")
    exit_settlement_confirm(
        member=deceased,
        reason="deceased",
        on=on,
        by=bendahara,
        waive_loans=True,
        waiver_reason="Meninggal dunia",
        board_decision_ref="SK-9/2026",
    )
    assert frozen.frozen_at is not None


def _write_offs() -> list[tuple]:
    """Every write-off record with what it wrote off and where it came from."""
    return sorted(
        LoanWriteOff.objects.values_list(
            "loan_id",
            "route",
            "exit_settlement_id",
            "on",
            "reason",
            "decision_ref",
            "principal",
            "jasa_receivable",
            "deferred_jasa",
            "ppap_used",
            "expense",
            "entry_id",
            "by_id",
        )
    )


def _books_hold() -> None:
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"] and t["d"] > 0, t
    run = subledgers_reconcile()
    assert run.ok, [r for r in run.results if not r["ok"]]
    assert balances_check() == []
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _state() -> dict:
    """Row counts, and each loan's and savings account's figures: the round trip must
    lose nothing."""
    models = (JournalEntry, JournalLine, Member, SavingsAccount, SavingsTransaction)
    counts = {m.__name__: m.objects.count() for m in (*models, Loan, Instalment, Repayment)}
    return counts | {
        "loans": sorted(Loan.objects.values_list("pk", "status", "principal_outstanding")),
        "accounts": sorted(SavingsAccount.objects.values_list("pk", "status", "balance")),
    }


def _rolled_back_plan(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """The migrations the round trip unapplies and applies again."""
    plan = executor.migration_plan(list(ROLLBACK_TO.items()))
    return [(m.app_label, m.name) for m, _backwards in plan]


def test_tenant_migrations_apply_on_a_cooperative_with_rows(scratch_tenant):
    schema = scratch_tenant.schema_name
    connection.set_tenant(scratch_tenant)
    try:
        _books_with_rows()
        before = _state()
        write_offs = _write_offs()
        assert [w[1] for w in write_offs] == ["exit"]
        _books_hold()
        started = time.perf_counter()
        executor = MigrationExecutor(connection)
        redone = _rolled_back_plan(executor)
        # each backward migration in its own transaction (nothing wraps this test)
        executor.migrate(list(ROLLBACK_TO.items()))
        backward = time.perf_counter() - started
    finally:
        connection.set_schema_to_public()
    assert ("loans", "0016_approval_and_verification_dates") in redone

    result = migrate_schema_sharing(schema)
    assert result.ok, result.error
    elapsed = time.perf_counter() - started

    connection.set_tenant(scratch_tenant)
    try:
        loader = MigrationLoader(connection)
        assert set(redone) <= set(loader.applied_migrations)
        assert MigrationExecutor(connection).migration_plan(loader.graph.leaf_nodes()) == []
        assert _state() == before
        _books_hold()
        # loans 0028's backfill: the exit's write-off recorded again from its entry
        assert _write_offs() == write_offs
        # loans 0016's backfill ran over the rows: every decided loan has its dates, in
        # the workflow's order
        for ln in Loan.objects.exclude(status__in=["applied", "rejected"]):
            assert ln.verified_on is not None and ln.approved_on is not None, ln.number
            assert ln.applied_on <= ln.verified_on <= ln.approved_on, ln.number
            if ln.disbursed_on:
                assert ln.approved_on <= ln.disbursed_on, ln.number
    finally:
        connection.set_schema_to_public()
    # the round trip's time, for the report (-s): kept small, as every test's
    sys.stderr.write(
        f"\n{len(redone)} migrations unapplied ({backward:.1f} s) and applied again "
        f"({result.seconds:.1f} s): {elapsed:.1f} s\n"
    )


def test_every_new_tenant_migration_is_covered():
    """A tenant app's newest migration comes after its rollback point, or the app has
    none and its newest migration is the one it had when the harness was written."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = {c.label for c in django_apps.get_app_configs() if c.name in settings.TENANT_APPS}
    leaves = {app: name for app, name in loader.graph.leaf_nodes() if app in labels}
    for app, point in ROLLBACK_TO.items():
        assert (app, point) in loader.graph.nodes, (app, point)
        assert leaves[app] != point, f"{app}: nothing after its rollback point {point}"
    uncovered = {app: leaves.get(app) for app in labels if app not in ROLLBACK_TO and app in leaves}
    assert uncovered == UNCOVERED_LEAVES, (
        "a tenant app has a new migration that no test applies on a schema with rows: "
        "give the app a rollback point in ROLLBACK_TO"
    )
