"""Cross-tenant attack (issue 22): logged in at cooperative A (admin, and an API key-less
session), every tenant URL and API endpoint that takes an id is requested with the ids of
cooperative B's objects (members, savings accounts and transactions, loans, journal
entries, deduction runs, year end, onboarding...). Every answer is a refusal (404/403/
405, or a 400 on a malformed body) and nothing in B's schema changed.

B's sequences are first moved to one high value, so each of B's objects made here gets
the same id ``FOREIGN_ID`` — an id no object of A has — and one walk of the URLconf with
that id aims at B's member, loan, account, entry, run... at once. Requests go through
Django's handler, so ``tests/reliability_plugin.py`` counts them (category Cross-tenant in
``bench/reliability_report.py``)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import TENANTS, _host
from tests.loans.conftest import docs
from tests.members import factories as f
from tests.webapp.urlwalk import PLACEHOLDER_INT, tenant_urls

FOREIGN_ID = 7654321
# tables a request may touch legitimately (A's session / login bookkeeping lives elsewhere)
_IGNORED = {"django_session"}


def _schema_fingerprint(schema: str) -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute(
            "select table_name from information_schema.tables "
            "where table_schema = %s and table_type = 'BASE TABLE'",
            [schema],
        )
        tables = sorted(r[0] for r in cur.fetchall() if r[0] not in _IGNORED)
        out = {}
        for t in tables:
            cur.execute(
                f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) "
                f'from "{schema}"."{t}" x'
            )
            out[t] = cur.fetchone()[0]
    return out


def _b_objects(tenant_b) -> dict[str, int]:
    """One object of each kind in B, every one with id FOREIGN_ID."""
    from core.deductions.services.runs import deduction_run_create
    from core.ledger.models import JournalEntry
    from core.loans.models import LoanProduct
    from core.loans.services import loan_apply
    from core.savings.models import SavingsTransaction
    from core.savings.seeding import product_by_kind, savings_products_seed
    from core.savings.services import savings_account_get_or_open, teller_deposit

    connection.set_tenant(tenant_b)
    with connection.cursor() as cur:
        cur.execute(
            "select c.oid::regclass::text from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where c.relkind = 'S' and n.nspname = %s",
            [tenant_b.schema_name],
        )
        for (seq,) in cur.fetchall():
            cur.execute("select setval(%s, %s, false)", [seq, FOREIGN_ID])
    admin = f.user("admin")
    petugas = f.user("petugas")
    savings_products_seed()
    member = f.member(take_home_pay=D("15000000"))
    today = date.today()
    acc = savings_account_get_or_open(member=member, product=product_by_kind("sukarela"), on=today)
    teller_deposit(account=acc, amount=D("500000"), channel="bank", on=today, by=petugas)
    product = LoanProduct.objects.create(
        code="XTN",
        name="Produk B",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
    )
    loan = loan_apply(
        member=member,
        product=product,
        principal=D("2000000"),
        tenor=10,
        by=petugas,
        on=today,
        documents=docs(),
    )
    objs = {
        "member": member.pk,
        "agency": member.agency_id,
        "savings_account": acc.pk,
        "savings_txn": SavingsTransaction.objects.filter(account=acc).first().pk,
        "journal_entry": JournalEntry.objects.order_by("pk").first().pk,
        "loan_product": product.pk,
        "user": admin.pk,
        "loan": loan.pk,
    }
    last = today.replace(day=1) - timedelta(days=1)
    run = deduction_run_create(year=last.year, month=last.month, by=admin)
    objs["deduction_run"] = run.pk
    connection.set_schema_to_public()
    return objs


@pytest.mark.django_db(transaction=False)
def test_every_id_url_of_a_refuses_bs_objects(
    tenant_a, tenant_b, settings, tmp_path, record_property
):
    settings.MEDIA_ROOT = tmp_path / "media"
    objs = _b_objects(tenant_b)
    wrong = {k: v for k, v in objs.items() if v != FOREIGN_ID}
    assert not wrong, f"B objects without the foreign id: {wrong}"
    connection.set_tenant(tenant_a)
    admin_a = f.user("admin")
    c = Client(HTTP_HOST=_host(TENANTS["a"]))
    c.force_login(admin_a)
    connection.set_schema_to_public()
    before = _schema_fingerprint(tenant_b.schema_name)
    urls = [u for u in tenant_urls() if PLACEHOLDER_INT in u.path]
    assert len(urls) > 50
    assert any(u.path.startswith("/api/v1/members/") for u in urls)
    assert any(u.path.startswith("/api/v1/ledger/") for u in urls)
    answered = []
    n = 0
    for u in urls:
        path = u.path.replace(PLACEHOLDER_INT, str(FOREIGN_ID))
        for method in ("get", "post"):
            kw = {"content_type": "application/json"} if path.startswith("/api/") else {}
            body = {} if not kw else "{}"
            r = getattr(c, method)(path, body, **kw) if method == "post" else c.get(path)
            n += 1
            if r.status_code not in (400, 403, 404, 405):
                answered.append(f"{method.upper()} {u.name} {path}: {r.status_code}")
    assert not answered, "\n".join(answered)
    connection.set_schema_to_public()
    assert _schema_fingerprint(tenant_b.schema_name) == before
    # control: the same ids are B's real objects, served at B's own host
    connection.set_tenant(tenant_b)
    from core.users.models import User

    admin_b = User.objects.get(pk=objs["user"])
    cb = Client(HTTP_HOST=_host(TENANTS["b"]))
    cb.force_login(admin_b)
    connection.set_schema_to_public()
    for path in (f"/anggota/{FOREIGN_ID}/", f"/api/v1/members/{FOREIGN_ID}/"):
        assert cb.get(path).status_code == 200, path
    record_property("cross_tenant_requests", n)
    record_property("cross_tenant_urls", len(urls))
