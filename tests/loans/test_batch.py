"""The set-based repayment service (``core.loans.batch.loan_repayments_prepare_bulk``)
gives exactly what ``loan_repayment_prepare`` gives called loan by loan on the same data:
the same instalment rows, repayments, ledger lines, loan states (closed by the payment
included), sukarela credits and audit rows; it refuses what the single service refuses
with nothing written; and after posting, the loan sub-ledger equals the control account."""

from datetime import timedelta
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.selectors import account_for_role
from core.ledger.services import journal_entry_id_reserve
from core.loans import schedules as S
from core.loans.batch import loan_repayments_prepare_bulk
from core.loans.models import Instalment, Loan, Repayment
from core.loans.services import loan_repay, loan_repayment_prepare, loan_repayments_attach_entry
from core.savings.models import SavingsAccount, SavingsTransaction
from tests.ledger.helpers import post_bank_batch
from tests.loans.conftest import assert_reconciled
from tests.members import factories as f

LOAN_FIELDS = (
    "principal_outstanding",
    "status",
    "closed_on",
    "closed_by",
    "days_past_due",
    "schedule_version",
    "deferred_jasa",
    "deferred_penalty",
)
ROW_FIELDS = (
    "version",
    "is_current",
    "number",
    "due_date",
    "principal",
    "jasa",
    "principal_paid",
    "jasa_paid",
    "jasa_waived",
    "penalty_paid",
    "penalty_periods",
    "penalty_charged",
    "settled",
    "settled_on",
)
REP_FIELDS = (
    "loan_id",
    "paid_on",
    "channel",
    "kind",
    "amount",
    "penalty",
    "jasa",
    "principal",
    "excess",
    "excess_to",
    "early_payoff_fee",
    "penalty_rows_before",
    "created_by_id",
    "deferred_jasa_recognised",
    "deferred_penalty_recognised",
)


BOOK = (  # principal, tenor, days ago, whose (0: the shared member; 2, 3, 4: m2, m3, m4)
    (D(10_000_000), 10, 10, 0),
    (D(3_000_000), 10, 31, 2),
    (D(6_000_000), 12, 95, 3),
    (D(2_000_000), 2, 40, 4),
    (D(1_200_000), 6, 70, 2),
)


@pytest.fixture(scope="module")
def _book_coop(django_db_setup, django_db_blocker, tmp_path_factory):
    """A cooperative of its own for this module (a schema named per run, so two xdist
    workers never share it; dropped after the module) holding, committed once, the staff,
    the test product, the shared member and the book: loans in different states (nothing
    due yet, one instalment due, three months in arrears with late penalty, a short loan a
    payment can close, two loans of one member). Each test then runs in a transaction
    rolled back (``db``) on that schema, as it did on cooperative A."""
    import uuid

    from django.test import override_settings
    from django.utils import timezone

    from core.ledger.services import fiscal_year_ensure
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify
    from tenants.services import cooperative_create, cooperative_discard
    from tests.conftest import ADMIN_PASSWORD
    from tests.loans.conftest import docs, product_with_every_fee

    today = timezone.localdate()
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
    ):
        slug = f"scratch-{uuid.uuid4().hex[:8]}"
        made = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        )
        try:
            connection.set_tenant(made.cooperative)
            staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
            member = f.member(take_home_pay=D("15000000"), email="anggota@x.test")
            prod = product_with_every_fee()
            who = {0: member, **{k: f.member(take_home_pay=D("20000000")) for k in (2, 3, 4)}}
            loans = []
            for principal, tenor, days_ago, whose in BOOK:
                on = today - timedelta(days=days_ago)
                for year in range(today.year - 1, on.year - 1, -1):
                    fiscal_year_ensure(year=year)
                loan = loan_apply(
                    member=who[whose],
                    product=prod,
                    principal=principal,
                    tenor=tenor,
                    by=staff["petugas"],
                    on=on,
                    documents=docs(),
                )
                loan = loan_verify(loan=loan, by=staff["bendahara"], on=on)
                loan = loan_approve(loan=loan, by=staff["ketua"], on=on)
                loan_disburse(loan=loan, by=staff["bendahara"], on=on)
                loans.append(loan.pk)
            assert_reconciled()
            connection.set_schema_to_public()
            yield SimpleNamespace(
                coop=made.cooperative,
                staff={r: u.pk for r, u in staff.items()},
                member=member.pk,
                product=prod.pk,
                loans=sorted(loans),
            )
        finally:
            connection.set_schema_to_public()
            cooperative_discard(cooperative=made.cooperative)


@pytest.fixture
def in_tenant_a(_book_coop, db):
    """This module's cooperative (not A) for the test, its writes rolled back after."""
    connection.set_tenant(_book_coop.coop)
    yield _book_coop.coop
    assert_reconciled()  # the loan sub-ledger still equals the ledger, before the rollback
    connection.set_schema_to_public()


@pytest.fixture
def staff(_book_coop, in_tenant_a):
    from core.users.models import User

    return {r: User.objects.get(pk=pk) for r, pk in _book_coop.staff.items()}


@pytest.fixture
def member(_book_coop, in_tenant_a):
    from core.members.models import Member

    return Member.objects.get(pk=_book_coop.member)


@pytest.fixture
def product(_book_coop, in_tenant_a):
    from core.loans.models import LoanProduct

    return LoanProduct.objects.get(pk=_book_coop.product)


@pytest.fixture
def book(_book_coop, in_tenant_a):
    return list(Loan.objects.filter(pk__in=_book_coop.loans).order_by("pk"))


def _payoff_amount(loan: Loan, on) -> D:
    """Everything the loan owes on ``on`` (penalties included): pays it off exactly."""
    from core.loans.services import loan_dues

    rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    dues = loan_dues(loan, on, rows)
    return dues.penalty + sum((r.jasa_left + r.principal_left for r in rows), D(0))


def _snapshot(loans, drafts, audit_after=0):
    ids = [ln.pk for ln in loans]
    rep_ids = [d.repayment.pk for d in drafts]
    rep_index = {pk: i for i, pk in enumerate(rep_ids)}
    state = {
        "loans": list(Loan.objects.filter(pk__in=ids).order_by("pk").values_list(*LOAN_FIELDS)),
        "rows": list(
            Instalment.objects.filter(loan_id__in=ids)
            .order_by("loan_id", "version", "number")
            .values_list("loan_id", *ROW_FIELDS)
        ),
        "repayments": [
            Repayment.objects.filter(pk=pk).values_list(*REP_FIELDS).get() for pk in rep_ids
        ],
        "lines": [
            [(ln.account.pk, ln.debit, ln.credit, ln.member_id, ln.memo) for ln in d.lines]
            for d in drafts
        ],
        "savings": [
            [
                (
                    t.account.member_id,
                    t.account.product_id,
                    t.amount,
                    t.balance_after,
                    t.kind,
                    t.channel,
                    t.memo,
                )
                for t in d.savings_transactions
            ]
            for d in drafts
        ],
        "balances": sorted(
            SavingsAccount.objects.filter(member__loans__in=ids)
            .distinct()
            .values_list("member_id", "product_id", "balance")
        ),
        # per repayment, what the audit log holds: one "loan.repay" row each (one by one)
        # or one entry of the batch's "loan.repay_batch" row: the same details
        "audit": [
            (actor, label, {**data, "repayment": rep_index[data["repayment"]]})
            for actor, label, data in _audited(ids, audit_after)
        ],
    }
    return state


def _audited(ids, after=0):
    """The audit of repayments of ``ids`` written after the audit row ``after``."""
    ids = set(ids)
    out = []
    for e in AuditEvent.objects.filter(
        action__in=["loan.repay", "loan.repay_batch"], pk__gt=after
    ).order_by("pk"):
        if e.action == "loan.repay" and int(e.target_id) in ids:
            out.append((e.actor_id, e.actor_label, {"loan": int(e.target_id), **e.data}))
        elif e.action == "loan.repay_batch":
            out += [
                (e.actor_id, e.actor_label, r) for r in e.data["repayments"] if r["loan"] in ids
            ]
    return out


def _one_by_one(loans, amounts, on, by, excess_to):
    return [
        loan_repayment_prepare(
            loan=ln, amount=a, on=on, channel="payroll", by=by, excess_to=excess_to
        )
        for ln, a in zip(loans, amounts, strict=True)
    ]


def _bulk(loans, amounts, on, by, excess_to):
    return loan_repayments_prepare_bulk(
        items=[(ln.pk, a) for ln, a in zip(loans, amounts, strict=True)],
        on=on,
        channel="payroll",
        by=by,
        excess_to=excess_to,
    )


def _compare(loans, amounts, on, by, excess_to="sukarela"):
    """Run both paths on the same data (each inside a savepoint rolled back) and return
    the two snapshots (the audit: what they wrote, not of repayments before)."""
    out = []
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for fn in (_one_by_one, _bulk):
        sid = transaction.savepoint()
        try:
            drafts = fn(loans, amounts, on, by, excess_to)
            out.append(_snapshot(loans, drafts, mark))
        finally:
            transaction.savepoint_rollback(sid)
    return out


def _post(drafts, on, by, ref, entry_id=None):
    entry = post_bank_batch(
        lines=[x for d in drafts for x in d.lines], on=on, by=by, ref=ref, entry_id=entry_id
    )
    loan_repayments_attach_entry(drafts=drafts, entry=entry)
    return entry


def test_bulk_equals_one_by_one_partial_arrears_excess_and_closing(book, staff, today):
    by = staff["bendahara"]
    closing = _payoff_amount(book[3], today)
    amounts = [
        D(1_500_000),  # nothing due: next instalment, the rest to sukarela
        D(150_000),  # partial: part of the jasa and principal due
        D(2_345_000),  # arrears with penalty, oldest first, then the next instalment
        closing,  # pays off the short loan: closed by the payment
        D(50_000),  # second loan of the same member, small partial
    ]
    single, bulk = _compare(book, amounts, today, by)
    assert bulk == single
    # the cases really happened
    statuses = dict(zip([ln.pk for ln in book], [s[1] for s in single["loans"]], strict=True))
    assert statuses[book[3].pk] == Loan.Status.CLOSED
    assert any(r[8] > 0 for r in single["repayments"])  # an excess
    assert any(r[5] > 0 for r in single["repayments"])  # a late penalty
    assert single["savings"][0] and single["savings"][0][0][2] == D(400_000)


def test_bulk_charges_penalty_after_late_part_payments_like_single(book, staff, today):
    """Rows partly paid late before (their penalty charged up to those payments): the
    batch charges each later period on what those payments left unpaid, writes the rows'
    penalty state and keeps the state before on each repayment, as the single service."""
    by = staff["petugas"]
    arrears, short = book[2], book[4]  # 3 and 2 instalments overdue
    # 6,000,000 / 12 flat 1%: instalment 560,000; 10 days late: penalty 2% = 11,200,
    # jasa 60,000, principal 228,800: 271,200 of it left unpaid
    r1 = arrears.instalments.get(number=1)
    rep = loan_repay(loan=arrears, amount=D(300_000), by=by, on=r1.due_date + timedelta(days=10))
    assert (rep.penalty, rep.jasa, rep.principal) == (D(11_200), D(60_000), D(228_800))
    # 1,200,000 / 6: instalment 212,000; 8 days late: 4,240 + 12,000 + 133,760
    r1s = short.instalments.get(number=1)
    loan_repay(loan=short, amount=D(150_000), by=by, on=r1s.due_date + timedelta(days=8))
    for ln in book:
        ln.refresh_from_db()
    amounts = [D(1_100_000), D(150_000), D(2_000_000), D(500_000), D(300_000)]
    single, bulk = _compare(book, amounts, today, staff["bendahara"])
    assert bulk == single
    reps = dict(zip([ln.pk for ln in book], single["repayments"], strict=True))
    penalty, before = REP_FIELDS.index("penalty"), REP_FIELDS.index("penalty_rows_before")
    for ln in (arrears, short):
        assert reps[ln.pk][penalty] > 0 and reps[ln.pk][before], ln.number
    # the arrears loan's first row: its first started month charged on the whole
    # instalment (11,200), every later one on the 271,200 left unpaid
    periods = S.penalty_periods(
        days_late=(today - r1.due_date).days, basis="per_month", grace_days=5
    )
    assert periods >= 2
    row = next(r for r in single["rows"] if r[0] == arrears.pk and r[3] == 1 and r[2])
    at = ROW_FIELDS.index("penalty_periods") + 1  # rows are (loan_id, *ROW_FIELDS)
    assert (row[at], row[at + 1]) == (
        periods,
        D(11_200) + S.rupiah(D(271_200) * 2 / 100 * (periods - 1)),
    )


def test_bulk_backdated_before_a_later_counter_payment_like_single(book, staff, today):
    """A payroll batch dated the day the agency's money arrived, before counter payments
    already recorded later (which charged the rows' penalty up to their dates): each row
    pays the penalty owed as of the batch's date and its later periods are charged again
    on what it leaves unpaid, as the single service does."""
    by = staff["petugas"]
    arrears, short = book[2], book[4]
    r1 = arrears.instalments.get(number=1)
    r1s = short.instalments.get(number=1)
    # counter payments on day 40 / 36 of row 1 that pay only part of the penalty
    loan_repay(loan=arrears, amount=D(5_000), by=by, on=r1.due_date + timedelta(days=40))
    loan_repay(loan=short, amount=D(3_000), by=by, on=r1s.due_date + timedelta(days=36))
    r1.refresh_from_db()
    assert r1.penalty_periods == 2
    # the batch's date is before the other loans were disbursed: only these two; the
    # short loan's row 1 is not due yet then (its day-36 charge is all after that date)
    loans = [arrears, short]
    for ln in loans:
        ln.refresh_from_db()
    on = r1.due_date + timedelta(days=8)
    assert on < r1s.due_date
    single, bulk = _compare(loans, [D(400_000), D(120_000)], on, staff["bendahara"])
    assert bulk == single
    # the arrears loan's row 1 (560,000): one month through day 8 (11,200) less the 5,000
    # paid on day 40 is owed; the second month charged again on what the batch left
    rep = dict(zip([ln.pk for ln in loans], single["repayments"], strict=True))[arrears.pk]
    assert rep[REP_FIELDS.index("penalty")] == D(6_200)
    row = next(r for r in single["rows"] if r[0] == arrears.pk and r[3] == 1 and r[2])
    at = ROW_FIELDS.index("penalty_periods") + 1
    left = row[ROW_FIELDS.index("principal") + 1] + row[ROW_FIELDS.index("jasa") + 1]
    left -= sum(row[ROW_FIELDS.index(k) + 1] for k in ("principal_paid", "jasa_paid"))
    assert (row[at], row[at + 1]) == (2, D(11_200) + S.rupiah(left * 2 / 100))


def test_bulk_excess_to_principal_reamortises_like_single(book, staff, today):
    by = staff["bendahara"]
    amounts = [D(3_000_000), D(400_000), D(900_000), D(100_000), D(60_000)]
    single, bulk = _compare(book, amounts, today, by, excess_to="principal")
    assert bulk == single
    assert any(s[5] > 1 for s in single["loans"])  # a new schedule version was written


def test_bulk_recognises_a_capitalised_penalty_like_single(
    book, staff, member, product, make_loan, today
):
    """A loan topped up from a loan in arrears carries 266,000 deferred, 66,000 of it
    capitalised penalty (``test_deferred_penalty``): the batch recognises the penalty part
    to penalty income first by the single service's rule, in a partial payment and in
    one that pays the loan off (all the rest, its jasa part to jasa income). Paying it
    off by an excess to principal is refused by both while the product charges an
    early-payoff penalty (``test_payoff_through_instalment``): the payoff is made with
    the penalty set to zero."""
    from core.loans.services import loan_disburse
    from tests.loans.test_money_review import _topup

    on = today - timedelta(days=115)
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=190)
    new = _topup(staff, member, product, old, D(20_000_000), on)
    loan_disburse(loan=new, by=staff["bendahara"], on=on)
    new.refresh_from_db()
    assert (new.deferred_jasa, new.deferred_penalty) == (D(266_000), D(66_000))
    loans = sorted([*book, new], key=lambda x: x.pk)
    at = [ln.pk for ln in loans].index(new.pk)
    rec = REP_FIELDS.index("deferred_jasa_recognised")
    principal = REP_FIELDS.index("principal")
    penalty_income = account_for_role("penalty_income").pk
    # all it owes less the jasa of the instalments after the next (an excess to principal
    # pays their principal off: their jasa is waived)
    later = new.instalments.filter(is_current=True).order_by("number")[4:]
    closing = _payoff_amount(new, today) - sum((r.jasa for r in later), D(0))
    amounts = [D(100_000)] * len(loans)
    amounts[at] = closing
    for fn in (_one_by_one, _bulk):
        sid = transaction.savepoint()
        try:
            with pytest.raises(ApplicationError) as e:
                fn(loans, amounts, today, staff["bendahara"], "principal")
        finally:
            transaction.savepoint_rollback(sid)
        assert e.value.code == "loan_payoff_required" and new.number in e.value.message
    product.early_payoff_value = D(0)
    product.save(update_fields=["early_payoff_value"])
    for pay, excess_to in ((D(4_400_000), "sukarela"), (closing, "principal")):
        amounts = [D(100_000)] * len(loans)
        amounts[at] = pay
        single, bulk = _compare(loans, amounts, today, staff["bendahara"], excess_to=excess_to)
        assert bulk == single
        rep = single["repayments"][at]
        if excess_to == "sukarela":  # its share of the principal repaid: all penalty
            share = S.rupiah(D(266_000) * rep[principal] / D(20_000_000))
            assert D(0) < share < D(66_000)
            assert (rep[rec], rep[rec + 1]) == (share, share)
        else:  # paid off: all of it, the 66,000 penalty to penalty income
            assert (rep[rec], rep[rec + 1]) == (D(266_000), D(66_000))
            assert single["loans"][at][1] == Loan.Status.CLOSED
            assert single["loans"][at][-2:] == (D(0), D(0))
        credits = [c for acc, _d, c, _m, _memo in single["lines"][at] if acc == penalty_income]
        assert rep[rec + 1] in credits


def test_bulk_posts_and_reconciles(book, staff, today):
    by = staff["bendahara"]
    before = Repayment.objects.count()
    with transaction.atomic():
        drafts = _bulk(book, [D(700_000)] * len(book), today, by, "sukarela")
        entry = _post(drafts, today, by, "uji-bulk-1")
    assert (
        Repayment.objects.filter(entry=entry).count()
        == len(book)
        == Repayment.objects.count() - before
    )
    assert SavingsTransaction.objects.filter(journal_entry=entry).count() == sum(
        len(d.savings_transactions) for d in drafts
    )
    assert_reconciled()


def test_bulk_written_linked_to_a_reserved_entry(book, staff, today):
    """With ``entry_id`` the repayments are written linked to the entry posted after
    them; the sukarela credits of an excess (written by the single savings service) are
    still linked by ``loan_repayments_attach_entry``. Same result as linking afterwards."""
    by = staff["bendahara"]
    with transaction.atomic():
        entry_id = journal_entry_id_reserve()
        drafts = loan_repayments_prepare_bulk(
            items=[(ln.pk, D(1_500_000)) for ln in book],
            on=today,
            channel="payroll",
            by=by,
            excess_to="sukarela",
            entry_id=entry_id,
        )
        assert all(d.repayment.entry_id == entry_id for d in drafts)
        credits = [t for d in drafts for t in d.savings_transactions]
        assert credits and all(t.journal_entry_id is None for t in credits)
        entry = _post(drafts, today, by, "uji-bulk-reserved", entry_id=entry_id)
        assert entry.pk == entry_id
    assert Repayment.objects.filter(entry=entry).count() == len(book)
    assert SavingsTransaction.objects.filter(journal_entry=entry).count() == len(credits)
    assert_reconciled()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    amounts=st.lists(
        st.integers(min_value=1, max_value=4_000).map(lambda k: D(k) * 1000),
        min_size=5,
        max_size=5,
    ),
    days=st.integers(min_value=0, max_value=120),
    target=st.sampled_from(["sukarela", "principal"]),
)
def test_bulk_equals_one_by_one_hypothesis(book, staff, today, amounts, days, target):
    on = today + timedelta(days=days)
    by = staff["bendahara"]
    results = []
    for fn in (_one_by_one, _bulk):
        sid = transaction.savepoint()
        try:
            drafts = fn(book, amounts, on, by, target)
            results.append(("ok", _snapshot(book, drafts)))
        except ApplicationError as e:  # e.g. excess larger than the remaining principal
            results.append(("refused", e.code))
        finally:
            transaction.savepoint_rollback(sid)
    assert results[1] == results[0]


def test_bulk_refuses_like_single_and_writes_nothing(book, staff, today, make_loan):
    by = staff["bendahara"]
    pending = make_loan(until="approved", who=f.member(take_home_pay=D("20000000")))
    counts = (Repayment.objects.count(), AuditEvent.objects.count())
    # an excess with no target chosen: the single service refuses the same way
    for fn in (_one_by_one, _bulk):
        with pytest.raises(ApplicationError) as e, transaction.atomic():
            fn(book, [D(100_000)] * 4 + [D(99_000_000)], today, by, "")
        assert e.value.code == "loan_excess_target_required"
    # a loan not running (approved, not disbursed), a pengawas, a duplicate, a bad channel
    with pytest.raises(ApplicationError) as e, transaction.atomic():
        _bulk([*book, pending], [D(100_000)] * 6, today, by, "sukarela")
    assert e.value.code == "loan_not_running"
    with pytest.raises(ApplicationError), transaction.atomic():
        _bulk(book[1:], [D(100_000)] * 4, today, staff["pengawas"], "sukarela")
    with pytest.raises(ApplicationError), transaction.atomic():
        loan_repayments_prepare_bulk(
            items=[(book[1].pk, D(1000)), (book[1].pk, D(1000))], on=today, channel="payroll", by=by
        )
    with pytest.raises(ApplicationError), transaction.atomic():
        loan_repayments_prepare_bulk(items=[(book[1].pk, D(1000))], on=today, channel="x", by=by)
    with pytest.raises(ApplicationError), transaction.atomic():
        loan_repayments_prepare_bulk(
            items=[(book[1].pk, D("1000.50"))], on=today, channel="payroll", by=by
        )
    assert (Repayment.objects.count(), AuditEvent.objects.count()) == counts


def test_bulk_runs_a_fixed_number_of_queries(book, staff, today, django_assert_max_num_queries):
    """Without excess (no sukarela credit, no re-amortisation) the query count does not
    grow with the number of loans: lock loans, lock rows, three account look-ups, update
    rows, insert repayments, update loans, insert the audit row (+ the savepoint)."""
    by = staff["bendahara"]
    sid = transaction.savepoint()
    try:
        with django_assert_max_num_queries(12):
            drafts = _bulk(book, [D(100_000)] * len(book), today, by, "sukarela")
        assert len(drafts) == len(book)
    finally:
        transaction.savepoint_rollback(sid)


def test_split_is_what_the_bulk_repayments_record_and_writes_nothing(
    book, staff, today, django_assert_max_num_queries
):
    """``loan_repayments_split_bulk`` (the payroll confirmation's preview) reads, for each
    loan and amount, the penalty, jasa, principal and excess to sukarela that
    ``loan_repayments_prepare_bulk`` then records on the same date — nothing due yet and
    an excess, a partial payment, arrears with penalty, a pay-off — and writes nothing."""
    from core.loans.batch import loan_repayments_split_bulk

    amounts = [D(1_500_000), D(150_000), D(2_345_000), _payoff_amount(book[3], today), D(0)]
    items = [(ln.pk, a) for ln, a in zip(book, amounts, strict=True)]
    before = _snapshot(book, [])
    with django_assert_max_num_queries(3):
        split = loan_repayments_split_bulk(items=items, on=today)
    assert _snapshot(book, []) == before
    assert book[4].pk not in split  # nothing paid: left out
    sid = transaction.savepoint()  # the repayments written, compared, rolled back
    try:
        drafts = loan_repayments_prepare_bulk(
            items=items[:4],
            on=today,
            channel="payroll",
            by=staff["bendahara"],
            excess_to="sukarela",
        )
        recorded = {
            d.repayment.loan_id: (
                d.repayment.penalty,
                d.repayment.jasa,
                d.repayment.principal,
                d.repayment.excess,
            )
            for d in drafts
        }
    finally:
        transaction.savepoint_rollback(sid)
    assert {k: (a.penalty, a.jasa, a.principal, a.excess) for k, a in split.items()} == recorded
    assert any(a.excess > 0 for a in split.values()) and any(a.penalty > 0 for a in split.values())


def test_bulk_in_chunks_writes_what_one_chunk_writes(book, staff, today):
    """A batch of more loans than a chunk (``chunk=2``: three chunks of five loans) reads,
    allocates and writes chunk by chunk: the same rows, repayments, ledger lines, loan
    states, sukarela credits and one audit row as the batch in one chunk."""
    by = staff["bendahara"]
    amounts = [D(1_500_000), D(150_000), D(2_345_000), _payoff_amount(book[3], today), D(50_000)]
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    out = []
    for chunk in (None, 2):
        sid = transaction.savepoint()
        try:
            drafts = loan_repayments_prepare_bulk(
                items=[(ln.pk, a) for ln, a in zip(book, amounts, strict=True)],
                on=today,
                channel="payroll",
                by=by,
                excess_to="sukarela",
                chunk=chunk,
            )
            out.append(_snapshot(book, drafts, mark))
            batches = AuditEvent.objects.filter(action="loan.repay_batch", pk__gt=mark)
            assert batches.count() == 1
        finally:
            transaction.savepoint_rollback(sid)
    one, chunked = out
    assert chunked == one
    assert (
        dict(zip([ln.pk for ln in book], [s[1] for s in one["loans"]], strict=True))[book[3].pk]
        == Loan.Status.CLOSED
    )


def test_bulk_refused_in_a_later_chunk_writes_nothing_of_the_earlier(book, staff, today):
    """A refusal met in the last chunk (an excess with no target, on the fifth loan)
    leaves nothing of the first chunks written, in the caller's transaction that goes on."""
    by = staff["bendahara"]
    counts = (Repayment.objects.count(), AuditEvent.objects.count())
    rows = list(Instalment.objects.order_by("pk").values_list(*ROW_FIELDS))
    with transaction.atomic():
        with pytest.raises(ApplicationError) as e:
            loan_repayments_prepare_bulk(
                items=[
                    (ln.pk, a)
                    for ln, a in zip(book, [D(100_000)] * 4 + [D(99_000_000)], strict=True)
                ],
                on=today,
                channel="payroll",
                by=by,
                excess_to="",
                chunk=2,
            )
        assert e.value.code == "loan_excess_target_required"
        assert (Repayment.objects.count(), AuditEvent.objects.count()) == counts
        assert list(Instalment.objects.order_by("pk").values_list(*ROW_FIELDS)) == rows
