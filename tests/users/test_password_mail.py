"""The e-mails of password links — a reset asked for at /lupa-sandi/, an invitation to set
a first password — are sent by a Celery task queued when the request commits
(core.users.tasks), never inside the request: the answer, and the work done for it, are
the same whether the address has a login or not (it was sent only when it had one, so the
time the answer took told a stranger). The task runs in the cooperative that queued it,
its link is that cooperative's; a mail server's failure is retried, then logged — never
an error page."""

import re
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.common.mail import mail_task_retries
from core.users.models import User
from tenants.services import tenant_host
from tests.conftest import run_queued
from tests.mail_backends import RefusingBackend
from tests.webapp.conftest import make_user

PW = "Sandi-Uji-2026!"
NEW = "Sandi-Baru-2026!"
RESET_TASK = "core.users.tasks.password_reset_mail_task"
INVITE_TASK = "core.users.tasks.invitation_mail_task"
LINK = re.compile(r"http://alpha\.localhost:8000(/atur-sandi/\S+/)")
CSRF = re.compile(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+"')


@pytest.fixture
def staff(in_tenant_a):
    return make_user("bendahara", email="bendahara@alpha.test", password=PW)


@pytest.fixture
def admin(in_tenant_a):
    return User.objects.get(username="admin@alpha.test")


@pytest.fixture
def refusing_mail(settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    RefusingBackend.attempts = 0
    return RefusingBackend


def _client() -> Client:
    return Client(HTTP_HOST=tenant_host("alpha"))


# ------------------------------------------------------------------ password reset


def test_a_reset_request_sends_nothing_itself_and_queues_the_mail_when_it_commits(
    staff, queued_tasks, django_capture_on_commit_callbacks
):
    """Failed before: the e-mail went out inside the request, and only for an address
    with a login."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = _client().post("/lupa-sandi/", {"email": staff.email})
    assert (resp.status_code, resp["Location"]) == (302, "/lupa-sandi/terkirim/")
    assert mail.outbox == [] and queued_tasks == []
    for callback in callbacks:
        callback()
    assert [(t.name, t.schema) for t in queued_tasks] == [(RESET_TASK, "coop_alpha")]
    assert mail.outbox == []  # the worker sends it


def test_the_reset_answer_and_its_work_are_the_same_with_or_without_a_login(
    staff, queued_tasks, django_capture_on_commit_callbacks
):
    """Same status, same page, the same database queries and one task queued either
    way: nothing in the request depends on whether the address has a login."""
    _client().post("/lupa-sandi/", {"email": "pemanasan@alpha.test"})  # caches warmed
    seen = {}
    for email in (staff.email, "tidak-ada@alpha.test"):
        queued_tasks.clear()
        client = _client()
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            resp = client.post("/lupa-sandi/", {"email": email})
        page = client.get(resp["Location"])
        seen[email] = (
            resp.status_code,
            resp["Location"],
            page.status_code,
            CSRF.sub(r"\1…", page.content.decode()).replace(email, "…"),
            [q["sql"].replace(email, "…") for q in queries.captured_queries],
            [(t.name, t.schema, {**t.kwargs, "email": "…"}) for t in queued_tasks],
        )
    with_login, without = seen.values()
    assert with_login == without
    assert with_login[-1] and mail.outbox == []


def test_the_reset_task_sends_the_link_of_the_cooperative_it_was_queued_in(
    staff, tenant_a, tenant_b, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _client().post("/lupa-sandi/", {"email": staff.email})
    [task] = queued_tasks
    run_queued(task)  # a worker: from the public schema, in alpha's
    [msg] = mail.outbox
    assert msg.to == [staff.email] and "kata sandi" in msg.body.lower()
    link = LINK.search(msg.body)[1]
    beta = Client(HTTP_HOST=tenant_host("beta"))
    assert "Tautan ini tidak berlaku lagi" in beta.get(link, follow=True).content.decode()
    alpha = _client()
    form = alpha.get(link, follow=True)
    assert "Buat kata sandi baru" in form.content.decode()
    done = alpha.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    connection.set_tenant(tenant_a)
    staff.refresh_from_db()
    assert staff.check_password(NEW)


def test_a_reset_mail_the_server_refuses_is_retried_then_logged_and_the_answer_is_the_same(
    staff, committed, refusing_mail, caplog
):
    """Failed before: Django's reset form logged the failure and gave up (no retry)."""
    with committed():
        known = _client().post("/lupa-sandi/", {"email": staff.email})
    assert refusing_mail.attempts == mail_task_retries() + 1
    with committed():
        unknown = _client().post("/lupa-sandi/", {"email": "tidak-ada@alpha.test"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.getMessage() for r in errors] == [
        f"Password reset e-mail not sent after {mail_task_retries() + 1} attempts"
    ]


def test_the_reset_mail_is_written_in_the_language_of_the_page(staff, committed):
    from django.conf import settings

    client = _client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with committed():
        client.post("/lupa-sandi/", {"email": staff.email})
    [msg] = mail.outbox
    assert "Someone asked to reset the password" in msg.body and "/atur-sandi/" in msg.body


# ---------------------------------------------------------------------- invitation


def test_an_invitation_is_queued_when_the_login_is_made_and_sent_in_its_cooperative(
    admin, queued_tasks, django_capture_on_commit_callbacks
):
    client = _client()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = client.post(
            "/pengguna/baru/",
            {"full_name": "Budi Petugas", "email": "budi@alpha.test", "role": "petugas"},
        )
    assert resp.status_code == 302 and mail.outbox == [] and queued_tasks == []
    for callback in callbacks:
        callback()
    [task] = queued_tasks
    assert (task.name, task.schema) == (INVITE_TASK, "coop_alpha")
    run_queued(task)
    [msg] = mail.outbox
    assert msg.to == ["budi@alpha.test"] and "Petugas" in msg.body
    form = _client().get(LINK.search(msg.body)[1], follow=True)
    assert "new_password1" in form.content.decode()


def test_an_invitation_the_mail_server_refuses_is_retried_and_logged_not_a_500(
    admin, committed, refusing_mail, caplog
):
    """Failed before: the refusal was raised out of the request after the login was
    committed (an error page for the admin, the login made all the same)."""
    client = _client()
    client.force_login(admin)
    with committed():
        resp = client.post(
            "/pengguna/baru/",
            {"full_name": "Budi Petugas", "email": "budi@alpha.test", "role": "petugas"},
        )
    assert resp.status_code == 302
    assert User.objects.filter(username="budi@alpha.test").exists()
    assert refusing_mail.attempts == mail_task_retries() + 1
    assert any(
        r.levelname == "ERROR" and "Invitation e-mail" in r.getMessage() for r in caplog.records
    )


def test_an_invitation_is_not_sent_to_a_login_that_set_its_password_meanwhile(
    admin, queued_tasks, django_capture_on_commit_callbacks, rf
):
    from core.users import services

    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(
            by=admin, email="cepat@alpha.test", full_name="C", role="petugas", request=rf.post("/")
        )
    user.set_password(NEW)
    user.save()
    [task] = queued_tasks
    run_queued(task)
    assert mail.outbox == []


def test_with_a_broker_a_refused_mail_is_tried_again_later_each_wait_twice_the_last(
    staff, refusing_mail, caplog
):
    from celery.exceptions import Retry

    from lumbung.celery import app

    task = app.tasks[RESET_TASK]
    waits = []
    for retries in range(mail_task_retries() + 1):
        task.push_request(retries=retries, is_eager=False)  # as a worker runs it
        try:
            with mock.patch.object(task, "retry", side_effect=Retry("later")) as retry:
                try:
                    result = task.run(email=staff.email)
                except Retry:
                    waits.append(retry.call_args.kwargs["countdown"])
        finally:
            task.pop_request()
    assert waits == [60, 120, 240, 480, 960]  # then the sixth try gives up
    assert result == 0
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"Password reset e-mail not sent after {mail_task_retries() + 1} attempts"
    ]
