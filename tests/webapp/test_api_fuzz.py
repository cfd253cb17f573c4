"""Schemathesis against the cooperative API's own OpenAPI document (/api/schema/): every
operation, generated input (valid and invalid), authenticated as an admin API key, sent
through the Django WSGI app inside the test transaction. The musts (issue 22, "Bad input
never gives a 5xx"): no 5xx, ever; every status code answered is documented for the
operation (``status_code_conformance``); every response body matches its documented
schema, errors included (``response_schema_conformance``; the error shape is the shared
``Error`` component, ``core.common.schema``). Per operation: its documented examples and
schemathesis's coverage cases (``Phase.explicit``: each field missing, of a wrong type, at
its bounds, an undocumented method …; about 80 for an operation with a body), then a few
generated ones (``FUZZ_MAX_EXAMPLES``, default 3). Operations on one object run their
explicit cases once, in the data pass (real objects), not also against ids that name
nothing."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from core.onboarding import files as onboarding_files
from tests.conftest import TENANTS
from tests.webapp.conftest import make_user

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# operations whose responses do not yet conform (checked for 5xx only): keep empty
NOT_CONFORMING: frozenset[str] = frozenset()


@pytest.fixture
def api_host(tenant_a, in_tenant_a, settings):
    from tenants.services import tenant_host

    settings.DEBUG = False
    # thousands of requests with one key: the rate limit (tests/core/test_api_throttle.py)
    # would answer most of them 429 and fuzz nothing
    settings.API_THROTTLE_RATE = "1000000/minute"
    return tenant_host(tenant_a.slug)


@pytest.fixture(scope="module")
def _loaded_schema(django_db_setup, django_db_blocker):
    """The document as a logged-in admin sees it at /api/schema/, fetched and loaded once
    for the module (both tests fuzz the same document; the second one loading it again
    checked nothing more), wired to the WSGI app. The admin made to fetch it is rolled
    back."""
    from tenants.models import Cooperative
    from tenants.services import tenant_host

    with django_db_blocker.unblock(), override_settings(DEBUG=False), transaction.atomic():
        coop = Cooperative.objects.get(slug=TENANTS["a"])
        connection.set_tenant(coop)
        try:
            c = Client(HTTP_HOST=tenant_host(coop.slug))
            c.force_login(make_user("admin", email="fuzz-schema@webapp.test"))
            r = c.get("/api/schema/", {"format": "json"})
        finally:
            connection.set_schema_to_public()
            transaction.set_rollback(True)
    assert r.status_code == 200, r.content[:300]
    loaded = schemathesis.openapi.from_dict(r.json())
    loaded.app = get_wsgi_application()
    return loaded


@pytest.fixture
def api_schema(_loaded_schema, api_host):
    """The module's document (``_loaded_schema``). Requests run in this thread and this
    test's transaction, so Django's per-request connection closing is switched off here
    as its own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield _loaded_schema
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(in_tenant_a) -> str:
    from core.users.apikeys import api_key_create

    admin = make_user("admin", email="fuzz-admin@webapp.test")
    return api_key_create(by=admin, name="fuzz", role="admin").raw


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(path_regex=r"^[^{]*$").parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_and_every_response_is_documented(case, api_host, api_key):
    _call_and_check(case, api_host, api_key)


# The operations on one object (a path parameter): here only generated cases, whose ids
# name nothing (the 404 each must document). Their documented examples and schemathesis's
# coverage cases (Phase.explicit: each field missing, of the wrong type, at its bounds …;
# about 80 per operation) run in the data pass below, against real objects, where they
# reach the validation and the money rules instead of a 404.
@schema.include(path_regex=r"\{").parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_on_an_unknown_object_answers_5xx_and_every_response_is_documented(
    case, api_host, api_key
):
    _call_and_check(case, api_host, api_key)


def _call_and_check(case, api_host, api_key) -> None:
    response = case.call(
        base_url=f"http://{api_host}", headers={"Authorization": f"Api-Key {api_key}"}
    )
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: "
        f"{response.text[:300]} (query={case.query!r}, body={case.body!r})"
    )
    if f"{case.method} {case.path}" not in NOT_CONFORMING:
        case.validate_response(response, checks=CHECKS)


# --- The same fuzz on a cooperative with data -------------------------------------------
# Above, every ``{id}`` is generated, so detail, update and action operations almost always
# answer 404. Here the operations with a path parameter are fuzzed again with each
# parameter naming a real object of a small data set built through the services (members
# with savings and loans, a repayment, a deduction run and import, journal entries, a year
# closed with its SHU posted and paid, an exit settlement…); the query and body are still
# generated, after the operation's documented examples (valid bodies of the money
# actions: a deposit, a withdrawal, a repayment, a disbursement, an import posted). All
# operations run in one test, so one transaction: what an example changes (a loan
# approved, a member settled) is what the next one sees, and it is all rolled back at the
# end.

DATA_MAX_EXAMPLES = int(os.environ.get("FUZZ_DATA_MAX_EXAMPLES", "3"))
# path prefix (after /api/v1, path parameters as the document names them) → the data
# set's key whose ids fill that path's ``{id}``/``{pk}``; the longest matching prefix wins
ID_SOURCES = {
    "/agencies/": "agencies",
    "/members/": "members",
    "/members/{id}/exit-settlement/": "exit_members",
    "/loans/": "loans",
    # the money actions' documented examples come first: an approved loan to pay out, a
    # loan still running to repay (the payoff pool leaves m2's running for it)
    "/loans/{id}/disburse/": "loans_to_disburse",
    "/loans/{id}/payoff": "loans_to_pay_off",
    "/loans/{id}/repay/": "loans_running",
    "/loans/products/": "loan_products",
    "/loans/repayments/": "repayments",
    "/loans/arrears-runs/": "arrears_runs",
    "/savings/accounts/": "savings_accounts",
    "/savings/transactions/": "savings_transactions",
    "/savings/interest-runs/": "interest_runs",
    "/savings/statements/": "members",
    "/deductions/runs/": "runs",
    "/deductions/imports/": "imports",
    "/ledger/accounts/": "ledger_accounts",
    "/ledger/reports/general-ledger/": "ledger_accounts",
    "/ledger/entries/": "entries",
    "/ledger/manual-requests/": "manual_requests",
    "/ledger/periods/": "periods",
    "/api-keys/": "api_keys",
    "/yearend/payouts/": "shu_payouts",
}
# the arrears/PPAP run (POST /loans/arrears-runs/, no path parameter) is fuzzed here too:
# its documented example (today's run) and generated dates run on the data set's loans.
# an operation without a path parameter whose body names an object: fuzzed here too, that
# body field taking the data set's ids in turn with the generated value (the teller's
# deposit and withdrawal, whose documented examples then post for real)
BODY_IDS = {("POST", "/savings/transactions/"): {"account": "savings_accounts"}}
YEAR_PARAMS = frozenset({"year"})
# the other path parameters: values the view knows, in turn with the generated one
# (deductions export format, import action, move-in template kind)
NAMED_VALUES = {
    "fmt": ["xlsx", "pdf"],
    "action": ["exclude", "post", "reverse", "discard"],
    "kind": sorted(onboarding_files.TEMPLATES),
}


def _data_build() -> dict[str, list]:
    """One or two of each object the API's paths name, through the services (in the
    schema the connection points at)."""
    from datetime import date, timedelta
    from decimal import Decimal as D

    from django.utils import timezone

    from core.deductions.services import deduction_import_upload
    from core.exits.services import exit_settlement_confirm
    from core.ledger.models import Account, JournalEntry, LedgerSettings, Period
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, manual_entry_submit
    from core.loans.arrears_asof import loans_arrears_run
    from core.loans.models import ArrearsRun, LoanRecovery, Repayment
    from core.loans.schedules import add_months
    from core.loans.services import loan_apply, loan_approve, loan_repay, loan_verify
    from core.savings.models import InterestRun, SavingsAccount, SavingsTransaction
    from core.savings.seeding import product_by_kind, savings_products_seed
    from core.savings.services import (
        savings_account_get_or_open,
        teller_deposit,
    )
    from core.users.apikeys import api_key_create
    from core.yearend.models import ShuPayout
    from core.yearend.services import shu_payout, shu_post, yearend_close
    from tests.deductions.conftest import (
        _cutoff_day,
        _cutoffs,
        coop_build,
        csv_bytes,
        docs,
        make_run,
    )
    from tests.yearend.conftest import YEAR, close_preliminaries, interest_run_in_order, year_of

    day = _cutoff_day()
    built = coop_build(day, _cutoffs(day))
    staff, m = built["staff"], built["m"]
    today = timezone.localdate()
    # a year closed, its SHU posted at the RAT and partly paid out (tests.yearend's 2025,
    # as its tests do; before this year's jasa simpanan, which must come after it)
    year = year_of(staff)
    close_preliminaries(staff["bendahara"])
    yearend_close(year=YEAR, by=staff["bendahara"])
    # the RAT in March as tests.yearend holds it, or today in January and February (a
    # RAT date may not be in the future)
    rat_on = min(date(YEAR + 1, 3, 1), today)
    shu_post(year=YEAR, rat_date=rat_on, rat_decision=f"04/RAT/{YEAR + 1}", by=staff["bendahara"])
    shu_payout(
        year=YEAR,
        items=[(year["m1"].pk, D("1000")), (year["m2"].pk, None)],
        method="cash",
        on=min(rat_on + timedelta(days=1), today),
        by=staff["bendahara"],
    )
    active = built["loans"]["m1"]
    loan_repay(loan=active, amount=D("500000"), on=today, by=staff["bendahara"])
    pending = loan_apply(
        member=m[2],
        product=active.product,
        principal=D("2000000"),
        tenor=4,
        by=staff["petugas"],
        on=today,
        documents=docs(),
    )
    approved = loan_apply(
        member=m[3],
        product=active.product,
        principal=D("2000000"),
        tenor=4,
        by=staff["petugas"],
        on=today,
        documents=docs(),
    )
    loan_verify(loan=approved, by=staff["bendahara"])
    loan_approve(loan=approved, by=staff["ketua"])
    savings_products_seed()
    for member in (m[3], m[0]):
        for kind in ("sukarela", "wajib"):
            account = savings_account_get_or_open(
                member=member, product=product_by_kind(kind), on=today, by=staff["bendahara"]
            )
            # at the counter, as a teller does (receipt, journal entry): the bare
            # sub-ledger write (savings_deposit_apply, whose caller posts and links the
            # entry) left rows without a journal entry, off the document's schema
            teller_deposit(
                account=account,
                amount=D("250000"),
                channel="cash",
                on=today,
                by=staff["bendahara"],
            )
    last_month = add_months(today, -1)
    # the months after the closed year's December first: a month after one never run is
    # refused (savings_interest_month_skipped); in January last month is that December,
    # run by the close
    if last_month.year > YEAR:
        interest_run_in_order(
            product=product_by_kind("sukarela"),
            year=last_month.year,
            month=last_month.month,
            by=staff["bendahara"],
        )
    run = make_run(on=_cutoffs(day)[1], by=staff["bendahara"])
    ag_a = built["agencies"][0]
    deduction_import_upload(
        run=run,
        agency=ag_a,
        content=csv_bytes([(x.nip, 100000) for x in m[:3]]),
        file_name="realisasi.csv",
        by=staff["bendahara"],
    )
    # arrears runs: as of last month's end (its grades kept; its month open) and today's
    month_end = today.replace(day=1) - timedelta(days=1)
    if Period.objects.filter(end_date=month_end, status=Period.Status.OPEN).exists():
        loans_arrears_run(on=month_end, by=staff["bendahara"])
    loans_arrears_run(on=today, by=staff["bendahara"])
    # manual entry requests waiting for a second user (approval turned on for them only)
    approval = LedgerSettings.get().manual_entry_approval
    LedgerSettings.objects.filter(pk=LedgerSettings.get().pk).update(manual_entry_approval=True)
    requests = [
        manual_entry_submit(
            on=today,
            description=f"Koreksi uji {n}",
            lines=[
                LineSpec(account_for_role("savings_interest_expense"), debit=D("1000")),
                LineSpec(account_for_role("cash"), credit=D("1000")),
            ],
            by=staff["bendahara"],
        )
        for n in (1, 2)
    ]
    LedgerSettings.objects.filter(pk=LedgerSettings.get().pk).update(manual_entry_approval=approval)
    key = api_key_create(by=staff["admin"], name="fuzz-other", role="petugas")
    # a member who left and took their SHU share's rest with the settlement
    exit_settlement_confirm(
        member=year["m3"], reason="resigned", on=today, by=staff["bendahara"], channel="bank"
    )

    def ids(qs, n=2):
        return list(qs.order_by("-pk").values_list("pk", flat=True)[:n])

    return {
        "agencies": [a.pk for a in built["agencies"]],
        "members": [m[3].pk, m[0].pk, m[2].pk, year["m3"].pk],
        # settled (preview, reverse), active with savings (preview, confirm)
        "exit_members": [year["m3"].pk, m[3].pk],
        "loans": [active.pk, pending.pk, built["loans"]["m2"].pk],
        "loans_to_disburse": [approved.pk, pending.pk],
        "loans_to_pay_off": [active.pk, pending.pk],
        "loans_running": [built["loans"]["m2"].pk, active.pk],
        "loan_products": [active.product_id],
        "repayments": ids(Repayment.objects.all()),
        "arrears_runs": ids(ArrearsRun.objects.all(), 3),
        "savings_accounts": ids(SavingsAccount.objects.filter(member__in=m), 3),
        "savings_transactions": ids(SavingsTransaction.objects.all(), 3),
        "interest_runs": ids(InterestRun.objects.all()),
        "runs": [run.pk],
        "imports": ids(run.imports.all()),
        "ledger_accounts": ids(Account.objects.filter(lines__isnull=False).distinct()),
        "entries": ids(JournalEntry.objects.all(), 3),
        "manual_requests": [r.pk for r in requests],
        "periods": ids(Period.objects.filter(start_date__lte=today)),
        "api_keys": [key.api_key.pk],
        "shu_payouts": ids(ShuPayout.objects.all()),
        # none in this data (a write-off needs a Macet loan): the generated id stays, a 404
        "loan_recoveries": ids(LoanRecovery.objects.all()),
        "years": sorted({today.year, today.year - 1, YEAR}, reverse=True),
    }


@pytest.fixture
def fuzz_data(in_tenant_a, settings, tmp_path) -> dict[str, list]:
    settings.MEDIA_ROOT = tmp_path / "media"
    return _data_build()


def _source(path: str) -> str | None:
    rest = path.split("/api/v1", 1)[-1]
    matches = [p for p in ID_SOURCES if rest.startswith(p)]
    return ID_SOURCES[max(matches, key=len)] if matches else None


_TURN: dict[tuple[str, str], int] = {}


def _real_body_ids(case, data: dict[str, list]) -> None:
    """Replace the object ids a body names (``BODY_IDS``) by real ones, in turn with the
    generated value."""
    fields = BODY_IDS.get((case.method, case.path.split("/api/v1", 1)[-1]), {})
    if not isinstance(case.body, dict):
        return
    for name, source in fields.items():
        if name in case.body:
            pool = [*data[source], case.body[name]]
            turn = _TURN.get((case.path, f"body.{name}"), 0)
            _TURN[(case.path, f"body.{name}")] = turn + 1
            case.body[name] = pool[turn % len(pool)]


def _real_path_parameters(case, data: dict[str, list]) -> None:
    """Replace each generated id/year in ``case.path_parameters`` by a real one, taking
    the data set's objects in turn."""
    for name in list(case.path_parameters or {}):
        if name in YEAR_PARAMS:
            pool = data["years"]
        elif name in ("id", "pk", "member_pk"):
            source = _source(case.path)
            assert source is not None, f"no data for {case.method} {case.path} {{{name}}}"
            pool = data[source]
        elif name == "rid":  # a recovery on a written-off loan
            pool = data["loan_recoveries"]
        elif name in NAMED_VALUES:
            pool = [*NAMED_VALUES[name], case.path_parameters[name]]
        else:
            raise AssertionError(f"no data for {case.method} {case.path} {{{name}}}")
        if not pool:
            continue
        turn = _TURN.get((case.path, name), 0)
        _TURN[(case.path, name)] = turn + 1
        case.path_parameters[name] = pool[turn % len(pool)]


@schema.include(path_regex=r"\{|/savings/transactions/$|/loans/arrears-runs/$").parametrize()
@settings(
    max_examples=DATA_MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_operations_on_real_objects_answer_no_5xx_and_as_documented(
    case, fuzz_data, api_host, api_key
):
    _real_path_parameters(case, fuzz_data)
    _real_body_ids(case, fuzz_data)
    response = case.call(
        base_url=f"http://{api_host}", headers={"Authorization": f"Api-Key {api_key}"}
    )
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: "
        f"{response.text[:300]} (query={case.query!r}, body={case.body!r})"
    )
    if f"{case.method} {case.path}" not in NOT_CONFORMING:
        case.validate_response(response, checks=CHECKS)
