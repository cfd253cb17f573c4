"""Expired sessions are deleted daily, in every cooperative's schema and in the public one
(failed before: no task, the session tables only grew)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tenants.utils import schema_context

from core.users.tasks import sessions_clear_expired_task


def _session(*, expired: bool) -> str:
    store = SessionStore()
    store["x"] = 1
    store.create()
    if expired:
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
    return store.session_key


def test_expired_sessions_go_and_live_ones_stay_in_each_schema(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        old_a, live_a = _session(expired=True), _session(expired=False)
    with schema_context(tenant_b.schema_name):
        old_b = _session(expired=True)
    with schema_context("public"):
        old_p, live_p = _session(expired=True), _session(expired=False)

    with schema_context(tenant_a.schema_name):
        assert sessions_clear_expired_task.run() >= 1  # other tests' expired rows go too
        keys = set(Session.objects.values_list("session_key", flat=True))
        assert live_a in keys and old_a not in keys
        assert not Session.objects.filter(expire_date__lt=timezone.now()).exists()
    with schema_context(tenant_b.schema_name):  # another cooperative's, untouched until its run
        assert Session.objects.filter(session_key=old_b).exists()
    with schema_context("public"):
        assert sessions_clear_expired_task.run() >= 1
        keys = set(Session.objects.values_list("session_key", flat=True))
        assert live_p in keys and old_p not in keys


def test_the_cleanup_is_a_daily_beat_entry_for_every_cooperative_and_the_public_schema():
    every = settings.CELERY_BEAT_SCHEDULE["sessions-clear-expired"]
    assert every["task"] == "tenants.tasks.every_cooperative_task"
    assert every["args"][0] == "core.users.tasks.sessions_clear_expired_task"
    assert set(every["args"][1]) == {"trial", "active", "past_due", "suspended", "archived"}
    public = settings.CELERY_BEAT_SCHEDULE["sessions-clear-expired-public"]
    assert public["task"] == "core.users.tasks.sessions_clear_expired_task"
    assert every["schedule"] == public["schedule"] == 24 * 3600
