"""The cooperative's consent: off by default, changed only by its admin, every change
audited and shown on the settings screen; the public side learns it by the refresh."""

import pytest
from django.db import connection

from core.audit.models import AuditEvent
from core.sharing.models import DinasConsent
from lumbung.dinas.models import Indicator, SharingState
from tests.members.factories import user as make_user

from .conftest import consent, refresh

pytestmark = pytest.mark.django_db


def test_off_by_default(in_tenant_a):
    assert DinasConsent.get().share_indicators is False


def test_admin_turns_sharing_on_and_off_each_change_audited(in_tenant_a, client_a):
    admin = make_user("admin")
    client_a.force_login(admin)
    page = client_a.get("/pengaturan/dinas/")
    assert page.status_code == 200
    assert "tidak dibagikan" in page.content.decode()

    assert client_a.post("/pengaturan/dinas/", {"share_indicators": "on"}).status_code == 302
    assert DinasConsent.get().share_indicators is True
    assert client_a.post("/pengaturan/dinas/", {}).status_code == 302
    assert DinasConsent.get().share_indicators is False
    events = list(AuditEvent.objects.filter(action__startswith="sharing.consent").order_by("id"))
    assert [e.action for e in events] == ["sharing.consent_on", "sharing.consent_off"]
    assert all(e.actor_id == admin.pk for e in events)

    history = client_a.get("/pengaturan/dinas/").content.decode()
    assert "Mulai dibagikan" in history and "Berhenti dibagikan" in history


def test_same_value_again_writes_no_audit_row(in_tenant_a):
    from core.sharing.services import dinas_consent_set

    dinas_consent_set(share=False, by="tests")
    assert not AuditEvent.objects.filter(action__startswith="sharing.consent").exists()


def test_pengawas_reads_but_cannot_change(in_tenant_a, client_a):
    client_a.force_login(make_user("pengawas"))
    assert client_a.get("/pengaturan/dinas/").status_code == 200
    assert client_a.post("/pengaturan/dinas/", {"share_indicators": "on"}).status_code == 403
    assert DinasConsent.get().share_indicators is False


def test_petugas_cannot_open_the_screen(in_tenant_a, client_a):
    client_a.force_login(make_user("petugas"))
    assert client_a.get("/pengaturan/dinas/").status_code == 403


def test_settings_page_links_to_the_screen(in_tenant_a, client_a):
    client_a.force_login(make_user("admin"))
    assert "/pengaturan/dinas/" in client_a.get("/pengaturan/").content.decode()


def test_refresh_learns_consent_and_withdrawal_removes_the_figures(placed):
    a, _b = placed
    refresh(a)
    assert SharingState.objects.get(cooperative=a).shared is False
    assert not Indicator.objects.filter(cooperative=a).exists()

    consent(a, True)
    # Before the next refresh the public side still says "not shared".
    assert SharingState.objects.get(cooperative=a).shared is False
    refresh(a)
    assert SharingState.objects.get(cooperative=a).shared is True
    assert Indicator.objects.filter(cooperative=a).count() == 1

    consent(a, False)
    refresh(a)
    assert SharingState.objects.get(cooperative=a).shared is False
    assert not Indicator.objects.filter(cooperative=a).exists()
    connection.set_schema_to_public()


def test_withdrawing_consent_removes_the_figures_at_once_not_at_the_next_daily_refresh(
    placed, monkeypatch, django_capture_on_commit_callbacks
):
    """The admin turns sharing off: the Dinas must stop seeing the figures now, not up
    to a day later. The change queues that cooperative's refresh when it commits (and
    turning it on queues one too, so the Dinas sees it the same day)."""
    from lumbung.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    a, _b = placed
    with django_capture_on_commit_callbacks(execute=True) as queued:
        consent(a, True)
    assert len(queued) == 1
    assert SharingState.objects.get(cooperative=a).shared is True
    assert Indicator.objects.filter(cooperative=a).count() == 1

    with django_capture_on_commit_callbacks(execute=True) as queued:
        consent(a, False)
    assert len(queued) == 1
    assert SharingState.objects.get(cooperative=a).shared is False
    assert not Indicator.objects.filter(cooperative=a).exists()
    # the same value again changes nothing and queues nothing
    with django_capture_on_commit_callbacks(execute=True) as queued:
        consent(a, False)
    assert queued == []
    connection.set_schema_to_public()
