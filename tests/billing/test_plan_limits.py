"""Plan limits are billed and enforced: the staff-user limit is refused at creation (with
the upgrade link); members over the limit make the next invoice the plan that fits,
said in advance."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from billing import services
from billing.models import Invoice, Plan, Subscription
from core.common.errors import ApplicationError
from core.users import services as users

from .conftest import add_active_members, pay_by_bank


def _create_staff(admin, n):
    return users.user_create(
        by=admin,
        email=f"staf{n}@alpha.test",
        full_name=f"Staf {n}",
        role="petugas",
        password="Kuat-Sekali-99",
    )


def test_fourth_staff_user_on_a_three_user_plan_is_refused_with_the_upgrade_link(
    tenant_a, admin_a, admin_client_a
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert sub.plan.code == "kecil" and sub.plan.limits["staff_users"] == 3
    connection.set_tenant(tenant_a)
    try:
        _create_staff(admin_a, 2)
        _create_staff(admin_a, 3)
        with pytest.raises(ApplicationError) as err:
            _create_staff(admin_a, 4)
        assert err.value.code == "plan_staff_limit" and "/langganan/" in err.value.message
        # members' own logins are not staff and are not limited
        users.user_create(
            by=admin_a,
            email="anggota@alpha.test",
            full_name="A",
            role="anggota",
            password="Kuat-Sekali-99",
        )
    finally:
        connection.set_schema_to_public()

    page = admin_client_a.post(
        "/pengguna/baru/", {"full_name": "Lima", "email": "lima@alpha.test", "role": "ketua"}
    )
    assert page.status_code == 200 and "/langganan/" in page.content.decode()

    Subscription.objects.filter(pk=sub.pk).update(plan=Plan.objects.get(code="sedang"))
    connection.set_tenant(tenant_a)
    try:
        _create_staff(admin_a, 4)
    finally:
        connection.set_schema_to_public()


def test_members_over_the_limit_make_the_next_invoice_the_plan_that_fits(
    tenant_a, operator, django_capture_on_commit_callbacks, admin_client_a
):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    pay_by_bank(sub, "kecil", "month", operator)
    add_active_members(tenant_a, 130)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.usage_record(subscription=sub)
    assert sub.is_over_limit
    [notice] = [m for m in mail.outbox if "melebihi" in m.subject]
    assert "Sedang" in notice.body  # said in advance
    assert "paket Sedang" in admin_client_a.get("/langganan/").content.decode()

    services.billing_sweep(now=sub.current_period_end - timedelta(days=3))
    renewal = Invoice.objects.get(subscription=sub, status="open")
    assert renewal.plan.code == "sedang" and renewal.amount == renewal.plan.price_monthly
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    sub.refresh_from_db()
    # paid before the month is over: that month stays on the plan it was paid for
    assert sub.plan.code == "kecil" and sub.next_plan.code == "sedang" and sub.is_over_limit
    month_begins = timezone.make_aware(datetime.combine(renewal.period_start, time(9)))
    services.billing_sweep(now=month_begins)
    sub.refresh_from_db()
    assert sub.plan.code == "sedang" and not sub.is_over_limit  # flag cleared: the plan fits


def test_card_subscription_over_the_limit_is_moved_at_stripe_for_the_next_invoice(
    admin_client_a, tenant_a, stripe_plans, deliver, django_capture_on_commit_callbacks
):
    from billing.providers.stripe_provider import stripe_client, subscription_price_id

    from .test_checkout import subscribe

    _, sub = subscribe(admin_client_a, deliver, plan_code="kecil", interval="month")
    add_active_members(tenant_a, 130)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.usage_record(subscription=sub)
    sedang = Plan.objects.get(code="sedang")
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id).to_dict()
    assert subscription_price_id(remote) == sedang.stripe_price_monthly_id
    assert sub.plan == sedang and not sub.is_over_limit
    [notice] = [m for m in mail.outbox if "melebihi" in m.subject]
    assert "Sedang" in notice.body


def test_the_staff_user_limit_holds_when_a_login_becomes_staff_or_is_reactivated(tenant_a, admin_a):
    """Making a member's login a staff role, or reactivating a staff login after another
    took its seat, adds a staff user as creating one does: refused on a full plan."""
    from core.users.models import User

    connection.set_tenant(tenant_a)
    try:
        _create_staff(admin_a, 2)
        third = _create_staff(admin_a, 3)  # admin, 2 and 3: the plan's 3 seats
        users.user_set_active(by=admin_a, user=third, active=False)
        _create_staff(admin_a, 4)  # takes the freed seat
        member_login = users.user_create(
            by=admin_a,
            email="anggota@alpha.test",
            full_name="A",
            role="anggota",
            password="Kuat-Sekali-99",
        )
        with pytest.raises(ApplicationError) as err:
            users.user_update(by=admin_a, user=member_login, full_name="A", role="bendahara")
        assert err.value.code == "plan_staff_limit"
        with pytest.raises(ApplicationError) as err:
            users.user_set_active(by=admin_a, user=third, active=True)
        assert err.value.code == "plan_staff_limit"
        assert User.objects.get(pk=member_login.pk).role == "anggota"
        assert not User.objects.get(pk=third.pk).is_active
        # a staff user changing between staff roles uses no new seat
        users.user_update(by=admin_a, user=third, full_name="Staf 3", role="ketua")
    finally:
        connection.set_schema_to_public()
