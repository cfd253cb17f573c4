"""A member's self-activation (/masuk/aktifkan/) does nothing in the request but queue its
check when it commits: the check (does the member exist, do the NIP or birth date match,
is the address free) and the e-mail are Celery tasks (core.portal.tasks). Before, a
matching member's request wrote an audit row and sent the e-mail before answering — the
time it took told a stranger the member existed and the details were right. The link is
made in the task, in the cooperative that queued it; a mail server's failure is retried,
then logged."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.audit.models import AuditEvent
from core.common.mail import mail_task_retries
from core.members.models import Member
from tenants.services import tenant_host
from tests.conftest import run_queued
from tests.mail_backends import RefusingBackend
from tests.members import factories as f
from tests.webapp.conftest import _own_cache_keys  # noqa: F401  (rate limits per test)

CHECK_TASK = "core.portal.tasks.portal_activation_request_task"
MAIL_TASK = "core.portal.tasks.portal_activation_mail_task"
CSRF = re.compile(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+"')
LINK = re.compile(r"http://alpha\.localhost:8000(/masuk/aktifkan/\S+/)")


@pytest.fixture
def member(in_tenant_a):
    m = f.member(full_name="Sri Handayani")
    Member.objects.filter(pk=m.pk).update(birth_date=dt.date(1980, 5, 17))
    m.refresh_from_db()
    return m


def _client() -> Client:
    return Client(HTTP_HOST=tenant_host("alpha"))


def _ask(client, ip: str, **data):
    return client.post("/masuk/aktifkan/", data, REMOTE_ADDR=ip)


def test_the_request_looks_nothing_up_and_queues_the_check_when_it_commits(
    member, queued_tasks, django_capture_on_commit_callbacks
):
    """Failed before: the matching member's request ran more queries (its lock, the
    address check, the audit row) and sent the e-mail before answering."""
    _ask(_client(), "192.0.2.30", number="X", nip="1", email="pemanasan@contoh.test")
    queued_tasks.clear()
    seen = []
    for i, details in enumerate(
        (
            {"number": member.number, "nip": member.nip},  # matches
            {"number": member.number, "nip": "199001012020121001"},  # wrong NIP
            {"number": "TIDAK-ADA-99", "nip": member.nip},  # no such member
        )
    ):
        client = _client()
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=False) as callbacks,
        ):
            resp = _ask(client, f"192.0.2.{31 + i}", email="sri@contoh.test", **details)
        assert mail.outbox == [] and queued_tasks == []  # nothing before the commit
        for callback in callbacks:
            callback()
        [task] = queued_tasks
        queued_tasks.clear()
        seen.append(
            (
                resp.status_code,
                CSRF.sub(r"\1…", resp.content.decode()),
                [q["sql"] for q in queries.captured_queries],
                (task.name, task.schema, sorted(task.kwargs)),
            )
        )
    assert seen[0] == seen[1] == seen[2]
    assert seen[0][0] == 200 and 'id="activation-sent"' in seen[0][1]
    assert seen[0][-1] == (
        CHECK_TASK,
        "coop_alpha",
        sorted(["number", "nip", "birth_date", "email", "language"]),
    )
    assert not AuditEvent.objects.filter(action__startswith="portal.activation").exists()


def test_the_check_queues_the_mail_whose_link_works_at_its_cooperative_only(
    member, tenant_a, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _ask(_client(), "192.0.2.40", number=member.number, nip=member.nip, email="sri@contoh.test")
    [check] = queued_tasks
    run_queued(check)  # the worker: the member matches, the e-mail is queued on commit
    connection.set_tenant(tenant_a)
    assert AuditEvent.objects.filter(action="portal.activation_requested").count() == 1
    check_done, mail_task = queued_tasks
    assert (mail_task.name, mail_task.schema) == (MAIL_TASK, "coop_alpha")
    assert mail.outbox == []
    run_queued(mail_task)
    [msg] = mail.outbox
    assert msg.to == ["sri@contoh.test"] and member.number in msg.body
    link = LINK.search(msg.body)[1]
    beta = Client(HTTP_HOST=tenant_host("beta"))
    assert beta.get(link).status_code == 400
    page = _client().get(link)
    assert page.status_code == 200 and "Sri Handayani" in page.content.decode()


def test_details_that_do_not_match_queue_no_mail(
    member, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _ask(_client(), "192.0.2.41", number=member.number, birth_date="1981-05-17", email="b@c.id")
    [check] = queued_tasks
    assert run_queued(check).result is False
    assert [t.name for t in queued_tasks] == [CHECK_TASK] and mail.outbox == []


def test_an_activation_mail_the_server_refuses_is_retried_then_logged(
    member, committed, settings, caplog
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    RefusingBackend.attempts = 0
    with committed():
        matched = _ask(
            _client(), "192.0.2.42", number=member.number, nip=member.nip, email="x@contoh.test"
        )
    assert matched.status_code == 200 and 'id="activation-sent"' in matched.content.decode()
    assert RefusingBackend.attempts == mail_task_retries() + 1
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [
        f"Portal activation e-mail (member {member.pk}) not sent after "
        f"{mail_task_retries() + 1} attempts"
    ]


def test_a_member_who_got_a_login_meanwhile_is_sent_no_link(
    member, queued_tasks, django_capture_on_commit_callbacks
):
    from tests.webapp.conftest import make_user

    with django_capture_on_commit_callbacks(execute=True):
        _ask(_client(), "192.0.2.43", number=member.number, nip=member.nip, email="sri@contoh.test")
    run_queued(queued_tasks[0])
    mail_task = queued_tasks[1]
    connection.set_schema_to_public()
    from django_tenants.utils import schema_context

    with schema_context(mail_task.schema):
        Member.objects.filter(pk=member.pk).update(user=make_user("anggota", email="lain@c.id"))
    assert run_queued(mail_task).result is False
    assert mail.outbox == []
