"""Tenants list (search, filters, sorting), usage snapshots, overview, health, job runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import Plan, Subscription
from lumbung.console import selectors
from lumbung.console.jobs import job_record
from lumbung.console.models import JobRun, TaskFailure, TenantStats, TenantUsageDaily
from lumbung.console.stats import mrr_for, stats_refresh
from tenants.models import Cooperative

pytestmark = pytest.mark.django_db


def slugs(qs):
    return [c.slug for c in qs]


def test_stats_refresh_records_usage_of_each_tenant(tenant_a, tenant_b):
    from core.users.models import User

    with schema_context(tenant_a.schema_name):
        User.objects.filter(username="admin@alpha.test").update(last_login=timezone.now())
    counts = stats_refresh()
    assert counts["refreshed"] >= 2 and counts["failed"] == 0
    a = TenantStats.objects.get(cooperative=tenant_a)
    assert a.db_size_bytes > 100_000  # a real schema: dozens of tables and indexes
    assert a.staff_users == 1 and a.last_staff_activity is not None
    assert a.migrations_pending == 0 and a.error == ""
    assert a.mrr == 0  # on trial
    assert TenantUsageDaily.objects.filter(cooperative=tenant_a).count() == 1
    stats_refresh()  # same day: the history row is updated, not duplicated
    assert TenantUsageDaily.objects.filter(cooperative=tenant_a).count() == 1


def test_stats_refresh_keeps_going_past_a_broken_schema(tenant_a):
    broken = Cooperative(slug="rusak", name="KPRI Rusak", schema_name="coop_rusak")
    broken.auto_create_schema = False
    broken.save()
    counts = stats_refresh()
    assert counts["failed"] == 1
    assert "coop_rusak" in TenantStats.objects.get(cooperative=broken).error
    assert TenantStats.objects.get(cooperative=tenant_a).error == ""


def test_mrr_counts_what_is_billed_not_the_list_price(tenant_a, operators):
    from billing import services as billing

    sub = Subscription.objects.select_related("plan").get(cooperative=tenant_a)
    assert mrr_for(sub) == 0
    # Active with nothing billed (e.g. an operator's reactivation grace): no revenue.
    sub.status = Subscription.Status.ACTIVE
    sub.plan = Plan.objects.get(code="sedang")
    sub.interval = "year"
    assert mrr_for(sub) == 0
    Subscription.objects.filter(pk=sub.pk).update(trial_ends_at=timezone.now())
    inv = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="t"
    )
    billing.bank_transfer_confirm(invoice=inv, operator=operators["billing"])
    sub.refresh_from_db()
    assert mrr_for(sub) == (inv.dpp / 12).quantize(Decimal(1))  # before tax, monthly
    assert mrr_for(sub) < sub.plan.price_yearly / 12


def test_tenant_search_and_filters(tenant_a, tenant_b):
    Cooperative.objects.filter(pk=tenant_a.pk).update(
        nik_koperasi="3201234567890001", province="Jawa Barat", email="kpri@alpha.test"
    )
    assert slugs(selectors.tenants_query(q="32012345")) == ["alpha"]
    assert slugs(selectors.tenants_query(q="KPRI@ALPHA")) == ["alpha"]
    assert slugs(selectors.tenants_query(q="bet")) == ["beta"]
    assert slugs(selectors.tenants_query(province="Jawa Barat")) == ["alpha"]
    sub_b = Subscription.objects.get(cooperative=tenant_b)
    sub_b.over_limit_since = timezone.now()
    sub_b.save()
    assert slugs(selectors.tenants_query(flag="over_limit")) == ["beta"]
    sub_a = Subscription.objects.get(cooperative=tenant_a)
    sub_a.trial_ends_at = timezone.now() + timedelta(days=3)
    sub_a.save()
    sub_b.trial_ends_at = timezone.now() + timedelta(days=20)
    sub_b.save()
    assert slugs(selectors.tenants_query(flag="trial_soon")) == ["alpha"]
    Cooperative.objects.filter(pk=tenant_b.pk).update(status="failed")
    assert slugs(selectors.tenants_query(flag="failed")) == ["beta"]
    assert slugs(selectors.tenants_query(status="trial")) == ["alpha"]
    big = Plan.objects.get(code="besar")
    Subscription.objects.filter(pk=sub_a.pk).update(plan=big)
    assert slugs(selectors.tenants_query(plan="besar")) == ["alpha"]


def test_tenant_sorting(tenant_a, tenant_b):
    stats_refresh()
    TenantStats.objects.filter(cooperative=tenant_a).update(members=10, mrr=5)
    TenantStats.objects.filter(cooperative=tenant_b).update(members=20, mrr=1)
    ours = {"alpha", "beta"}

    def order(sort):
        return [s for s in slugs(selectors.tenants_query(sort=sort)) if s in ours]

    assert order("members") == ["alpha", "beta"]
    assert order("-members") == ["beta", "alpha"]
    assert order("-mrr") == ["alpha", "beta"]
    assert order("name") == ["alpha", "beta"]
    assert order("-name") == ["beta", "alpha"]


def test_tenants_list_is_one_query(op_clients, tenant_a, tenant_b, django_assert_max_num_queries):
    stats_refresh()
    client = op_clients["support"]
    client.get("/konsol/koperasi/")  # warm the session, plans and provinces
    # session + user + otp device + plans + provinces + count + page: bounded, no N+1.
    with django_assert_max_num_queries(12):
        resp = client.get("/konsol/koperasi/?sort=-size&q=a")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "KPRI Alpha" in html and "KPRI Beta" in html


def test_tenant_detail_shows_its_sections(op_clients, tenant_a):
    stats_refresh()
    html = op_clients["billing"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    for text in ("alpha.localhost", "Masa uji coba", "cooperative.created", "Mutakhir"):
        assert text in html, text
    # Billing operators do not see admin-only actions.
    assert "/export/" not in html and "/record_payment/" in html


def test_overview_figures(op_clients, tenant_a, tenant_b):
    stats_refresh()
    data = selectors.overview()
    by = {row["status"]: row["n"] for row in data["by_status"]}
    assert by["trial"] >= 2
    assert sum(w["n"] for w in data["signups"]) >= 2
    assert data["mrr"] == 0 and data["trials"] >= 2
    resp = op_clients["support"].get("/konsol/")
    assert resp.status_code == 200 and "MRR" in resp.content.decode()


def test_job_runs_and_failures_are_recorded(op_clients):
    task = "billing.tasks.billing_sweep_task"
    job_record(task=task, schema="public", ok=True)
    job_record(task=task, schema="public", ok=False, error="ValueError: boom", task_id="t-1")
    run = JobRun.objects.get(task=task, schema_name="public")
    assert run.last_success_at and run.last_failure_at and run.failures == 1
    assert TaskFailure.objects.get().error == "ValueError: boom"
    html = op_clients["admin"].get("/konsol/kesehatan/").content.decode()
    assert "ValueError: boom" in html and task in html


def test_job_signal_handlers_fire_for_real_tasks():
    from lumbung.console.tasks import console_stats_refresh_task

    console_stats_refresh_task.apply()
    connection.set_schema_to_public()
    run = JobRun.objects.get(task="lumbung.console.tasks.console_stats_refresh_task")
    assert run.last_success_at is not None


def test_health_reports_queue_template_and_pending(op_clients):
    h = selectors.health()
    assert h["queues"]["error"] == "" and "celery" in h["queues"]["queues"]
    assert h["template"]["exists"] is True
    assert "billing.tasks.billing_sweep_task" in h["scheduled"]


@pytest.mark.parametrize("role", ["support", "billing", "admin"])
def test_stats_refresh_button_queues_the_task(op_clients, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = op_clients[role].post(
            "/konsol/statistik/perbarui/", {"next": "https://evil.example/"}
        )
    assert resp.status_code == 302 and resp.url == "/konsol/"  # no open redirect
    assert len(callbacks) == 1


def test_cooperative_admin_has_a_support_access_page_in_the_nav(client_a, admin_password):
    client_a.post("/masuk/", {"username": "admin@alpha.test", "password": admin_password})
    home = client_a.get("/").content.decode()
    assert 'href="/dukungan/"' in home
    page = client_a.get("/dukungan/")
    assert page.status_code == 200 and "belum pernah" in page.content.decode()


def test_members_cannot_see_support_access(in_tenant_a, client_a):
    from core.users.models import User

    User.objects.create_user(username="anggota@alpha.test", password="Anggota-123!", role="anggota")
    connection.set_schema_to_public()
    client_a.post("/masuk/", {"username": "anggota@alpha.test", "password": "Anggota-123!"})
    assert client_a.get("/dukungan/").status_code == 403


def test_detail_of_a_tenant_without_schema_or_subscription_still_renders(op_clients):
    broken = Cooperative(slug="tanpa-skema", name="KPRI Tanpa Skema", schema_name="coop_tanpa")
    broken.auto_create_schema = False
    broken.save()
    resp = op_clients["admin"].get(f"/konsol/koperasi/{broken.pk}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "KPRI Tanpa Skema" in html and "Tidak dapat dibaca" in html
    assert op_clients["admin"].get("/konsol/koperasi/?q=tanpa").status_code == 200


def test_overdue_figures_are_what_is_left_to_transfer_after_credit(op_clients, tenant_a):
    from billing.models import Invoice
    from billing.services import bank_invoice_issue

    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    # credit already took part of it; the rest is a week late
    Invoice.objects.filter(pk=inv.pk).update(
        credit_applied=Decimal(100_000), due_on=timezone.localdate() - timedelta(days=7)
    )
    inv.refresh_from_db()
    data = selectors.overview()
    assert data["overdue_invoices"] == 1
    assert data["overdue_amount"] == inv.amount - Decimal(100_000)
    html = op_clients["billing"].get("/konsol/").content.decode()
    from core.common.money import format_rupiah

    assert format_rupiah(inv.amount - Decimal(100_000)) in html


def test_health_counts_schemas_where_a_task_never_succeeded(op_clients, tenant_a, tenant_b):
    task = "core.savings.tasks.jasa_daily_task"
    job_record(task=task, schema=tenant_a.schema_name, ok=True)
    job_record(task=task, schema=tenant_b.schema_name, ok=False, error="RuntimeError: x")
    row = next(j for j in selectors.health()["job_summary"] if j["task"] == task)
    assert row["schemas"] == 2
    # beta never succeeded: the oldest success is not alpha's of a moment ago
    assert row["never_succeeded"] == 1
    html = op_clients["admin"].get("/konsol/kesehatan/").content.decode()
    assert "1 belum pernah berhasil" in html


def test_tenant_detail_says_when_usage_was_never_measured(op_clients, tenant_a):
    """A cooperative that paid before the first statistics refresh has a stats row with
    only its MRR (stats_mrr_follow): the page said "Diperbarui None" and showed 0
    members, 0 staff and 0 bytes as if measured."""
    TenantStats.objects.filter(cooperative=tenant_a).delete()
    TenantStats.objects.create(cooperative=tenant_a, mrr=Decimal("291667"))
    html = op_clients["billing"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    usage = html.split("Pemakaian", 1)[1].split("</section>", 1)[0]
    assert "None" not in usage
    assert "Statistik belum diperbarui." in usage
    assert "0 bita" not in usage and "0 (0 aktif)" not in usage
    assert "Rp 291.667" in usage
