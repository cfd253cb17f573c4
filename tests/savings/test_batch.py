"""The set-based deposits (``core.savings.batch.savings_deposits_apply_bulk``) give exactly
what ``savings_deposit_apply`` gives called one by one on the same data (transactions with
their running ``balance_after``, balances, ledger lines), refuse what it refuses with
nothing written, and after posting the sub-ledger equals the control accounts (the
deferred balance trigger holds)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.services import journal_entry_id_reserve
from core.members.models import Member
from core.savings.batch import Deposit, savings_accounts_open_bulk, savings_deposits_apply_bulk
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.services import (
    SavingsErrors,
    savings_account_open,
    savings_accounts_lock,
    savings_deposit_apply,
    transactions_link_entry,
)
from tests.ledger.helpers import post_bank_batch
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal
TXN_FIELDS = (
    "account_id",
    "on",
    "kind",
    "channel",
    "amount",
    "delta",
    "balance_after",
    "receipt_number",
    "memo",
    "created_by_id",
    "journal_entry_id",
)


@pytest.fixture
def accounts(products, today, in_tenant_a):
    """Two members' sukarela and wajib accounts, a pokok account (capped at the product
    amount) and a berjangka account."""
    m1, m2 = f.member(), f.member()
    acc = {}
    for i, m in enumerate((m1, m2)):
        for kind in ("sukarela", "wajib"):
            acc[f"{kind}{i}"] = savings_account_open(member=m, product=products[kind], on=today)
    acc["pokok"] = savings_account_open(member=m1, product=products["pokok"], on=today)
    acc["berjangka"] = savings_account_open(member=m2, product=products["berjangka"], on=today)
    return acc


def _deposits(accounts, plan):
    return [
        Deposit(
            account=accounts[key],
            amount=amount,
            channel=SavingsTransaction.Channel.PAYROLL,
            kind=SavingsTransaction.Kind.PAYROLL,
            memo=f"Potong gaji uji {n}",
        )
        for n, (key, amount) in enumerate(plan)
    ]


def _snapshot(accounts, applied):
    ids = sorted(a.pk for a in accounts.values())
    return {
        "txns": [
            SavingsTransaction.objects.filter(pk=a.transaction.pk).values_list(*TXN_FIELDS).get()
            for a in applied
        ],
        "returned": [
            (a.transaction.account_id, a.transaction.amount, a.transaction.balance_after)
            for a in applied
        ],
        "lines": [
            [(x.account.pk, x.debit, x.credit, x.member_id, x.memo) for x in a.lines]
            for a in applied
        ],
        "balances": list(
            SavingsAccount.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "balance")
        ),
    }


def _single(accounts, plan, today, by):
    return [
        savings_deposit_apply(
            account=d.account,
            amount=d.amount,
            on=today,
            by=by,
            channel=d.channel,
            kind=d.kind,
            memo=d.memo,
        )
        for d in _deposits(accounts, plan)
    ]


def _bulk(accounts, plan, today, by, locked=False):
    deposits = _deposits(accounts, plan)
    if locked:
        got = savings_accounts_lock({d.account.pk for d in deposits})
        for d in deposits:
            d.account = got[d.account.pk]
    return savings_deposits_apply_bulk(deposits=deposits, on=today, by=by, locked=locked)


def _both(accounts, plan, today, by, locked=False):
    out = []
    for fn in (_single, lambda *a: _bulk(*a, locked=locked)):
        sid = transaction.savepoint()
        try:
            out.append(("ok", _snapshot(accounts, fn(accounts, plan, today, by))))
        except ApplicationError as e:
            out.append(("refused", e.code))
        finally:
            transaction.savepoint_rollback(sid)
    return out


PLAN = [
    ("wajib0", D(50_000)),
    ("sukarela0", D(125_000)),
    ("wajib1", D(50_000)),
    ("sukarela0", D(7_000)),  # a second deposit to the same account: running balance
    ("pokok", D(60_000)),
    ("pokok", D(40_000)),  # up to the pokok amount exactly
    ("berjangka", D(100_000)),
    ("sukarela1", D(1)),
]


@pytest.mark.parametrize("locked", [False, True])
def test_bulk_equals_one_by_one(accounts, teller, today, locked):
    single, bulk = _both(accounts, PLAN, today, teller, locked=locked)
    assert single[0] == "ok"
    assert bulk == single
    running = [t[6] for t in single[1]["txns"] if t[0] == accounts["sukarela0"].pk]
    assert running == [D(125_000), D(132_000)]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["wajib0", "wajib1", "sukarela0", "sukarela1", "pokok", "berjangka"]),
            st.integers(min_value=1, max_value=150).map(lambda k: D(k) * 1000),
        ),
        min_size=1,
        max_size=12,
    ),
    locked=st.booleans(),
)
def test_bulk_equals_one_by_one_hypothesis(accounts, teller, today, plan, locked):
    """Random batches, the caps (pokok, berjangka) reached or not: both paths accept with
    the same result, or refuse with the same error."""
    single, bulk = _both(accounts, plan, today, teller, locked=locked)
    assert bulk == single


@pytest.mark.parametrize(
    ("plan", "code"),
    [
        (
            [("wajib0", D(1000)), ("pokok", D(60_000)), ("pokok", D(60_000))],
            "savings_pokok_exceeded",
        ),
        ([("wajib0", D(1000)), ("sukarela1", D(0))], "savings_bad_amount"),
        ([("wajib0", D("1000.5"))], "savings_bad_amount"),
    ],
)
def test_bulk_refuses_like_single_nothing_written(accounts, teller, today, plan, code):
    single, bulk = _both(accounts, plan, today, teller)
    assert single == ("refused", code)
    assert bulk == single
    before = (
        SavingsTransaction.objects.count(),
        list(SavingsAccount.objects.values_list("balance")),
    )
    with pytest.raises(ApplicationError), transaction.atomic():
        _bulk(accounts, plan, today, teller)
    assert (
        SavingsTransaction.objects.count(),
        list(SavingsAccount.objects.values_list("balance")),
    ) == before


def test_closed_account_and_inactive_member_refused(accounts, teller, today):
    SavingsAccount.objects.filter(pk=accounts["sukarela1"].pk).update(
        status="closed", closed_on=today
    )
    single, bulk = _both(accounts, [("wajib0", D(1000)), ("sukarela1", D(1000))], today, teller)
    assert single == ("refused", "savings_account_closed")
    assert bulk == single


def _post(applied, today, by, ref, entry_id=None):
    lines = [x for a in applied for x in a.lines]
    return post_bank_batch(lines=lines, on=today, by=by, ref=ref, entry_id=entry_id)


def test_bulk_posted_reconciles(accounts, teller, today):
    with transaction.atomic():
        applied = _bulk(accounts, PLAN, today, teller)
        entry = _post(applied, today, teller, "uji-savings-bulk")
        transactions_link_entry(transactions=[a.transaction for a in applied], entry=entry)
    assert SavingsTransaction.objects.filter(journal_entry=entry).count() == len(PLAN)
    accounts["sukarela0"].refresh_from_db()
    assert accounts["sukarela0"].balance == D(132_000)
    assert_reconciled()


def test_bulk_runs_a_fixed_number_of_queries(
    accounts, teller, today, django_assert_max_num_queries
):
    sid = transaction.savepoint()
    try:
        # lock accounts, read their products, insert txns, update balances
        with django_assert_max_num_queries(4):
            _bulk(accounts, [x for x in PLAN * 3 if x[0] != "pokok"], today, teller)
    finally:
        transaction.savepoint_rollback(sid)


def test_bulk_written_linked_to_a_reserved_entry(accounts, teller, today):
    """With ``entry_id`` (reserved) the transactions are written linked to the entry
    posted afterwards: no link UPDATE, and the lot reconciles."""
    entry_id = journal_entry_id_reserve()
    with transaction.atomic():
        deposits = _deposits(accounts, PLAN)
        applied = savings_deposits_apply_bulk(
            deposits=deposits, on=today, by=teller, entry_id=entry_id
        )
        assert all(a.transaction.journal_entry_id == entry_id for a in applied)
        entry = _post(applied, today, teller, "uji-savings-bulk-reserved", entry_id)
    assert entry.pk == entry_id
    assert SavingsTransaction.objects.filter(journal_entry=entry).count() == len(PLAN)
    assert_reconciled()


def test_bulk_linked_to_a_reserved_id_cannot_commit_without_the_entry(accounts, teller, today):
    """Should the caller never post the reserved entry, the foreign key (checked at
    commit) refuses the whole batch."""
    entry_id = journal_entry_id_reserve()
    sid = transaction.savepoint()
    try:
        savings_deposits_apply_bulk(
            deposits=_deposits(accounts, PLAN), on=today, by=teller, entry_id=entry_id
        )
        with pytest.raises(IntegrityError, match="journal_entry"), connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT runs
    finally:
        transaction.savepoint_rollback(sid)


# --- opening accounts in bulk -------------------------------------------------------


def _account_rows(accounts):
    return [
        (a.number, a.member_id, a.product_id, a.status, a.balance, a.opened_on) for a in accounts
    ]


def test_bulk_open_gives_what_one_by_one_gives(products, teller, today, in_tenant_a):
    members = [f.member() for _ in range(3)]
    # a closed account already holds one member's base number: the next free one is used
    SavingsAccount.objects.create(
        number=f"{members[2].number}-{products['sukarela'].code}",
        member=members[2],
        product=products["sukarela"],
        status=SavingsAccount.Status.CLOSED,
        opened_on=today,
        closed_on=today,
    )
    opens = [(m, products[k]) for m in members for k in ("wajib", "sukarela")]
    sid = transaction.savepoint()
    single = [savings_account_open(member=m, product=p, on=today, by=teller) for m, p in opens]
    single_rows = _account_rows(single)
    single_audit = list(
        AuditEvent.objects.filter(action="savings.account_open")
        .order_by("pk")
        .values_list("actor_id", "actor_label", "target_type", "target_repr", "data")
    )[-len(opens) :]
    transaction.savepoint_rollback(sid)

    bulk = savings_accounts_open_bulk(opens=opens, on=today, by=teller)
    assert _account_rows(bulk) == single_rows
    assert bulk[-1].number.endswith("-2")
    fresh = SavingsAccount.objects.in_bulk([a.pk for a in bulk])
    assert _account_rows(fresh[a.pk] for a in bulk) == single_rows
    audit = list(
        AuditEvent.objects.filter(
            action="savings.account_open", target_id__in=[str(a.pk) for a in bulk]
        )
        .order_by("pk")
        .values_list("actor_id", "actor_label", "target_type", "target_repr", "data")
    )
    assert audit == single_audit


@pytest.mark.parametrize("case", ["inactive_member", "inactive_product", "open_already", "twice"])
def test_bulk_open_refuses_as_one_by_one_and_writes_nothing(
    case, products, teller, today, in_tenant_a
):
    m1, m2 = f.member(), f.member()
    opens = [(m1, products["sukarela"]), (m2, products["sukarela"])]
    code = SavingsErrors.ALREADY_OPEN
    if case == "inactive_member":
        m2.status, m2.exit_date = Member.Status.RESIGNED, today
        m2.save(update_fields=["status", "exit_date"])
        code = SavingsErrors.MEMBER_INACTIVE
    elif case == "inactive_product":
        SavingsProduct.objects.filter(pk=products["sukarela"].pk).update(is_active=False)
        products["sukarela"].refresh_from_db()
        code = SavingsErrors.PRODUCT_INACTIVE
    elif case == "open_already":
        savings_account_open(member=m2, product=products["sukarela"], on=today)
    else:
        opens.append(opens[0])
    before = (SavingsAccount.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as exc:
        savings_accounts_open_bulk(opens=opens, on=today, by=teller)
    assert exc.value.code == code
    assert (SavingsAccount.objects.count(), AuditEvent.objects.count()) == before
