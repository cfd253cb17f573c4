"""The billing banner on every page of an admin or bendahara: the newest in-app notice of
the last three days (read with the subscription in one query), none older."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Notice, Subscription


def _page(client) -> str:
    response = client.get("/anggota/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_newest_recent_notice_is_shown_and_an_old_one_is_not(admin_client_a, tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    Subscription.objects.filter(pk=sub.pk).update(
        over_limit_since=None, trial_ends_at=timezone.now() + timedelta(days=30)
    )
    old = Notice.objects.create(subscription=sub, kind="period_ended", message="Pesan lama")
    Notice.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=4))
    assert "Pesan lama" not in _page(admin_client_a)

    Notice.objects.create(subscription=sub, kind="period_ended", message="Pesan pertama")
    newest = Notice.objects.create(subscription=sub, kind="period_ended", message="Pesan kedua")
    body = _page(admin_client_a)
    assert "Pesan kedua" in body and "Pesan pertama" not in body and "Pesan lama" not in body

    # Same created_at: the later notice (higher id) wins, as the model's ordering says.
    Notice.objects.filter(subscription=sub).update(created_at=newest.created_at)
    assert "Pesan kedua" in _page(admin_client_a)

    # Another cooperative's notice never shows here.
    Notice.objects.filter(subscription=sub).delete()
    other = Subscription.objects.exclude(cooperative=tenant_a).first()
    if other is not None:
        Notice.objects.create(subscription=other, kind="period_ended", message="Pesan lain")
    assert "Pesan lain" not in _page(admin_client_a)


def test_the_banner_costs_one_query(admin_client_a, tenant_a):
    admin_client_a.get("/anggota/")
    with CaptureQueriesContext(connection) as ctx:
        _page(admin_client_a)
    billing = [q["sql"] for q in ctx.captured_queries if "billing_" in q["sql"]]
    assert len(billing) == 1, billing


def test_the_trial_ending_banner_counts_calendar_days_and_names_the_day(admin_client_a, tenant_a):
    """A trial ending in 3 days said "dalam 2 hari", and one ending tomorrow (or in a few
    hours) "dalam 0 hari": whole 24-hour spans, rounded down."""
    from django.utils.formats import date_format

    sub = Subscription.objects.get(cooperative=tenant_a)
    now = timezone.localtime()
    for ahead, days in ((timedelta(days=3), 3), (timedelta(days=1), 1)):
        ends = now + ahead
        Subscription.objects.filter(pk=sub.pk).update(over_limit_since=None, trial_ends_at=ends)
        body = _page(admin_client_a)
        assert f"Masa uji coba berakhir dalam {days} hari, {date_format(ends.date())}" in body, (
            body[:0]
        )
    last_minute = now.replace(hour=23, minute=59, second=0, microsecond=0)
    if last_minute > now:
        Subscription.objects.filter(pk=sub.pk).update(trial_ends_at=last_minute)
        assert "Masa uji coba berakhir hari ini." in _page(admin_client_a)
