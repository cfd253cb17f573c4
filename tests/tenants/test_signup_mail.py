"""A sign-up's e-mails — the verification link, the welcome once provisioned — are Celery
tasks queued when their transaction commits (tenants.tasks), never sent inside the
request or the provisioning: a mail server that refuses does not turn the sign-up form
into an error page (the request was recorded all the same), nor fail a provisioned
cooperative; the task tries again, then logs it."""

import re

import pytest
from django.core import mail
from django.test import Client

from core.common.mail import mail_task_retries
from tenants.models import SignupRequest
from tests.conftest import run_queued
from tests.link_button import press
from tests.mail_backends import RefusingBackend
from tests.tenants.test_signup import DEWI, _client, _form

VERIFY_TASK = "tenants.tasks.signup_verification_mail_task"
WELCOME_TASK = "tenants.tasks.signup_welcome_mail_task"


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


@pytest.fixture
def refusing_mail(settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    RefusingBackend.attempts = 0
    return RefusingBackend


def test_the_verification_mail_is_queued_on_commit_and_sent_by_the_task(
    db, queued_tasks, django_capture_on_commit_callbacks
):
    """Failed before: the e-mail went out in the request, at its commit."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = _client().post("/daftar/", _form(slug="surat"))
    assert resp.status_code == 302 and queued_tasks == [] and mail.outbox == []
    for callback in callbacks:
        callback()
    [task] = queued_tasks
    assert (task.name, task.schema) == (VERIFY_TASK, "public") and mail.outbox == []
    run_queued(task)
    [msg] = mail.outbox
    assert msg.to == [DEWI] and "3 jam" in msg.body
    link = re.search(r"https?://[^/\s]+(/daftar/verifikasi/[^\s]+/)", msg.body)[1]
    with django_capture_on_commit_callbacks(execute=False):
        verified = press(Client(HTTP_HOST="localhost"), link)
    assert verified.status_code == 302
    assert SignupRequest.objects.get(slug="surat").status == SignupRequest.Status.QUEUED


def test_a_verification_mail_the_server_refuses_is_retried_then_logged_not_a_500(
    db, committed, refusing_mail, caplog
):
    """Failed before: the refusal was raised out of the request after the sign-up was
    committed."""
    with committed():
        resp = _client().post("/daftar/", _form(slug="tertolak"))
    assert resp.status_code == 302
    signup = SignupRequest.objects.get(slug="tertolak")
    assert signup.status == SignupRequest.Status.PENDING
    assert refusing_mail.attempts == mail_task_retries() + 1
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"Sign-up verification e-mail (sign-up {signup.pk}) not sent after "
        f"{mail_task_retries() + 1} attempts"
    ]


def _ready_signup(cooperative) -> SignupRequest:
    """A sign-up as provisioning leaves it (its cooperative is the test's alpha: the
    welcome e-mail only names the address)."""
    return SignupRequest.objects.create(
        public_id="selamat-" + "x" * 16,
        slug="selamat",
        name="KPRI Selamat",
        legal_number="AHU-9",
        legal_date="2020-01-01",
        province="Jawa Barat",
        regency="Bandung",
        member_count=40,
        contact_name="Dewi",
        email=DEWI,
        phone="081234567890",
        password_hash="!",
        terms_accepted_at="2026-01-01T00:00:00Z",
        status=SignupRequest.Status.READY,
        cooperative=cooperative,
        verified_at="2026-01-01T00:00:00Z",
        ready_at="2026-01-01T00:00:00Z",
    )


def test_the_welcome_mail_task_sends_the_new_address(tenant_a, celery_eager):
    from tenants.tasks import signup_welcome_mail_task

    signup = _ready_signup(tenant_a)
    assert signup_welcome_mail_task.delay(signup_id=signup.pk).result is True
    [msg] = mail.outbox
    assert msg.to == [DEWI] and "selamat.localhost" in msg.body


def test_a_welcome_mail_the_server_refuses_is_retried_then_logged(
    tenant_a, celery_eager, refusing_mail, caplog
):
    from tenants.tasks import signup_welcome_mail_task

    signup = _ready_signup(tenant_a)
    assert signup_welcome_mail_task.delay(signup_id=signup.pk).result is False
    assert refusing_mail.attempts == mail_task_retries() + 1
    assert any(
        r.levelname == "ERROR" and "Sign-up welcome e-mail" in r.getMessage()
        for r in caplog.records
    )


def test_provisioning_queues_the_welcome_mail_when_it_commits(
    db, queued_tasks, django_capture_on_commit_callbacks
):
    """Failed before: provisioning sent it at its commit, and a refusal failed the task
    of a cooperative already made."""
    from tenants.signup import signup_provision
    from tests.tenants.test_signup import _verified

    signup = _verified(_client(), django_capture_on_commit_callbacks, "sambut")
    queued_tasks.clear()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        signup_provision(signup_id=signup.pk)
    assert mail.outbox == []
    [task] = queued_tasks
    assert (task.name, task.schema, task.kwargs) == (
        WELCOME_TASK,
        "public",
        {"signup_id": signup.pk},
    )
