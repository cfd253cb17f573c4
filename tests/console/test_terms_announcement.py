"""Announcing a new version of the terms (the terms' §8: e-mailed to the cooperatives'
admins at least 30 days before it takes effect): one e-mail per live cooperative to its
active admins, never twice; refusals change nothing; the failed ones are sent again and
only they; the overview warns while the promise is at risk."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.audit.models import AuditEvent
from core.common.dates import format_date
from core.users.models import User
from lumbung.console.tasks import terms_announcement_send_task, terms_delivery_send_task
from lumbung.console.terms import terms_warnings
from tenants.models import Cooperative, TermsAnnouncement, TermsDelivery
from tests.tenants.signup_helpers import tasks_eager
from tests.terms_versions import register_terms_version

pytestmark = pytest.mark.django_db
SUMMARY = "Biaya paket Sedang naik menjadi Rp 150.000 sebulan."


class RefusingBetaBackend(LocmemBackend):
    """The mail server refuses every message to cooperative B's addresses (``@beta.test``)
    and delivers the rest to the locmem outbox."""

    def send_messages(self, messages):
        if any(a.endswith("@beta.test") for m in messages for a in m.to):
            raise smtplib.SMTPRecipientsRefused({"admin@beta.test": (550, b"mailbox full")})
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.MAIL_TASK_RETRIES = 0  # a refused e-mail is not tried again in the test


def _text(resp) -> str:
    return " ".join(resp.content.decode().split())


def _announce(client, capture, version, summary=SUMMARY):
    with tasks_eager(), capture(execute=True):
        return client.post("/konsol/syarat/umumkan/", {"version": version, "summary": summary})


def _mails_to(domain: str) -> list:
    return [m for m in mail.outbox if any(a.endswith(domain) for a in m.to)]


def _add_user(coop, email, role, *, active=True):
    with schema_context(coop.schema_name):
        User.objects.create_user(
            username=email, email=email, role=role, is_active=active, full_name=email
        )
    connection.set_schema_to_public()


def test_announcing_emails_each_live_cooperatives_admins_once(
    op_clients, operators, tenant_a, tenant_b, monkeypatch, django_capture_on_commit_callbacks
):
    later = register_terms_version(monkeypatch, days=45)
    _add_user(tenant_a, "ketua@alpha.test", User.Role.ADMIN)
    _add_user(tenant_a, "lama@alpha.test", User.Role.ADMIN, active=False)
    _add_user(tenant_a, "bendahara@alpha.test", User.Role.BENDAHARA)
    Cooperative.objects.filter(pk=tenant_b.pk).update(status=Cooperative.Status.ARCHIVED)
    mail.outbox = []

    resp = _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)

    assert resp.status_code == 302
    [sent] = mail.outbox  # one e-mail, for the one live cooperative; none for archived B
    assert sorted(sent.to) == ["admin@alpha.test", "ketua@alpha.test"]
    assert format_date(later.effective_on) in sent.subject
    assert SUMMARY in sent.body and f"/syarat-dan-ketentuan/{later.id}/" in sent.body
    assert "KPRI Alpha" in sent.body
    announcement = TermsAnnouncement.objects.get(version=later.id)
    assert announcement.announced_by == operators["admin"]
    [delivery] = TermsDelivery.objects.filter(announcement=announcement)
    assert delivery.cooperative == tenant_a and delivery.sent_at is not None
    assert delivery.recipients == ["admin@alpha.test", "ketua@alpha.test"]
    event = AuditEvent.objects.get(action="console.terms_announced", actor=operators["admin"])
    assert event.data["version"] == later.id and event.data["cooperatives"] == 1

    # a second run of the tasks (a redelivered message, a retry) e-mails nobody again
    with tasks_eager():
        terms_announcement_send_task.delay(announcement.pk)
        terms_delivery_send_task.delay(delivery.pk)
    assert len(mail.outbox) == 1

    page = _text(op_clients["support"].get("/konsol/syarat/"))
    assert "Terkirim ke 1 dari 1 koperasi." in page
    assert "Operator admin" in page  # announced by whom


@pytest.mark.parametrize("days", [0, 10, 29])
def test_announcing_fewer_than_30_days_ahead_is_refused(
    op_clients, tenant_a, monkeypatch, django_capture_on_commit_callbacks, days
):
    later = register_terms_version(monkeypatch, days=days)
    mail.outbox = []
    resp = _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)
    page = _text(resp)
    assert resp.status_code == 200
    if days == 0:
        assert f"Versi {later.id} sudah berlaku sejak" in page
    else:
        assert (
            f"Versi {later.id} berlaku {format_date(later.effective_on)}, {days} hari lagi: "
            "syarat §8 menjanjikan e-mail kepada admin koperasi sekurang-kurangnya 30 hari"
        ) in page
        earliest = timezone.localdate() + timedelta(days=30)
        assert f"paling cepat {format_date(earliest)}" in page
    assert not TermsAnnouncement.objects.exists() and not TermsDelivery.objects.exists()
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="console.terms_announced").exists()


def test_announcing_30_days_ahead_is_allowed(
    op_clients, tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    later = register_terms_version(monkeypatch, days=30)
    resp = _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)
    assert resp.status_code == 302
    assert TermsAnnouncement.objects.filter(version=later.id).exists()


def test_announcing_twice_is_refused_and_sends_nothing_more(
    op_clients, tenant_a, tenant_b, monkeypatch, django_capture_on_commit_callbacks
):
    later = register_terms_version(monkeypatch, days=60)
    _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)
    mail.outbox = []
    resp = _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id, "Lagi.")
    page = _text(resp)
    assert (
        f"Versi {later.id} sudah diumumkan pada" in page and "tidak ada yang dikirim lagi" in page
    )
    assert mail.outbox == []
    assert TermsAnnouncement.objects.get().summary == SUMMARY
    assert TermsDelivery.objects.count() == 2
    assert AuditEvent.objects.filter(action="console.terms_announced").count() == 1


@pytest.mark.parametrize("role", ["support", "billing"])
def test_only_admin_operators_announce(
    op_clients, tenant_a, monkeypatch, django_capture_on_commit_callbacks, role
):
    later = register_terms_version(monkeypatch, days=45)
    mail.outbox = []
    resp = _announce(op_clients[role], django_capture_on_commit_callbacks, later.id)
    assert resp.status_code == 403
    assert not TermsAnnouncement.objects.exists() and mail.outbox == []
    page = _text(op_clients[role].get("/konsol/syarat/"))
    assert "Umumkan dan kirim e-mail" not in page  # reading only
    assert f"Versi {later.id}" in page and "Belum diumumkan" in page


def test_an_empty_summary_is_refused(
    op_clients, tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    later = register_terms_version(monkeypatch, days=45)
    resp = _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id, "  ")
    assert resp.status_code == 200
    assert "Tuliskan ringkasan perubahan untuk e-mail kepada admin koperasi." in _text(resp)
    assert not TermsAnnouncement.objects.exists() and not TermsDelivery.objects.exists()


def test_sending_again_after_a_partial_failure_emails_only_the_failed_ones(
    op_clients,
    operators,
    tenant_a,
    tenant_b,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,
):
    later = register_terms_version(monkeypatch, days=45)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBetaBackend"
    mail.outbox = []
    _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)

    assert [m.to for m in mail.outbox] == [["admin@alpha.test"]]
    failed = TermsDelivery.objects.get(cooperative=tenant_b)
    assert failed.sent_at is None and failed.error == TermsDelivery.Error.MAIL_FAILED
    page = _text(op_clients["admin"].get("/konsol/syarat/"))
    assert "Terkirim ke 1 dari 2 koperasi." in page
    assert "KPRI Beta" in page and "Server e-mail menolak atau tidak dapat dihubungi" in page
    assert "Kirim ulang ke yang gagal (1 koperasi)" in page
    assert "mailbox full" not in page  # the server's words go to the log

    # the mail server is back: "send again" e-mails B, and only B
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    announcement = TermsAnnouncement.objects.get()
    with tasks_eager(), django_capture_on_commit_callbacks(execute=True):
        resp = op_clients["admin"].post(f"/konsol/syarat/{announcement.pk}/kirim-ulang/")
    assert resp.status_code == 302
    assert [m.to for m in mail.outbox] == [["admin@beta.test"]]
    failed.refresh_from_db()
    assert failed.sent_at is not None and failed.error == "" and failed.attempts == 2
    assert AuditEvent.objects.filter(action="console.terms_resent").count() == 1
    page = _text(op_clients["admin"].get("/konsol/syarat/"))
    assert "Terkirim ke 2 dari 2 koperasi." in page and "Kirim ulang" not in page

    # nothing left to send: refused, said plainly
    with tasks_eager(), django_capture_on_commit_callbacks(execute=True):
        resp = op_clients["admin"].post(
            f"/konsol/syarat/{announcement.pk}/kirim-ulang/", follow=True
        )
    assert f"Semua koperasi sudah menerima e-mail pengumuman versi {later.id}." in _text(resp)
    assert len(mail.outbox) == 1
    assert (
        op_clients["billing"].post(f"/konsol/syarat/{announcement.pk}/kirim-ulang/").status_code
        == 403
    )


def test_a_cooperative_without_an_active_admin_is_listed_as_failed(
    op_clients, tenant_a, tenant_b, monkeypatch, django_capture_on_commit_callbacks
):
    later = register_terms_version(monkeypatch, days=45)
    with schema_context(tenant_b.schema_name):
        User.objects.filter(role=User.Role.ADMIN).update(is_active=False)
    connection.set_schema_to_public()
    mail.outbox = []
    _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)
    assert [m.to for m in mail.outbox] == [["admin@alpha.test"]]
    delivery = TermsDelivery.objects.get(cooperative=tenant_b)
    assert delivery.error == TermsDelivery.Error.NO_ADMINS and delivery.sent_at is None
    page = _text(op_clients["admin"].get("/konsol/syarat/"))
    assert "Koperasi tidak punya admin aktif dengan alamat e-mail" in page


def test_overview_warns_of_a_version_near_its_date_not_announced(
    op_clients, tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    later = register_terms_version(monkeypatch, days=45)
    today = timezone.localdate()
    assert terms_warnings() == []  # 45 days ahead: time enough to announce
    # twenty days on, still not announced: 25 days left, the promise is at risk
    [warning] = terms_warnings(on=today + timedelta(days=20))
    assert f"versi {later.id} berlaku {format_date(later.effective_on)}, 25 hari lagi" in warning
    assert "belum diumumkan" in warning

    _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)
    assert terms_warnings(on=today + timedelta(days=20)) == []


def test_overview_warns_while_a_cooperative_was_not_emailed(
    op_clients, tenant_a, tenant_b, monkeypatch, settings, django_capture_on_commit_callbacks
):
    soon = register_terms_version(monkeypatch, days=10)
    page = _text(op_clients["support"].get("/konsol/"))
    assert f"Syarat dan ketentuan versi {soon.id} berlaku" in page and "belum diumumkan" in page

    monkeypatch.undo()  # the operator moves its date in code
    later = register_terms_version(monkeypatch, days=40)
    assert "belum diumumkan" not in _text(op_clients["support"].get("/konsol/"))

    settings.EMAIL_BACKEND = f"{__name__}.RefusingBetaBackend"
    _announce(op_clients["admin"], django_capture_on_commit_callbacks, later.id)
    page = _text(op_clients["support"].get("/konsol/"))
    assert (
        f"1 koperasi belum menerima e-mail pengumuman syarat dan ketentuan versi {later.id}"
    ) in page

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    announcement = TermsAnnouncement.objects.get()
    with tasks_eager(), django_capture_on_commit_callbacks(execute=True):
        op_clients["admin"].post(f"/konsol/syarat/{announcement.pk}/kirim-ulang/")
    assert "belum menerima e-mail pengumuman" not in _text(op_clients["support"].get("/konsol/"))
