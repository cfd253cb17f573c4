"""The bulk invitation reads the checked members through a form: a value that is not a
member id is skipped (never a 500); none left is the message, and nobody is invited."""

import pytest
from django.core import mail

from core.members.models import Member
from tests.members import factories as f
from tests.webapp.conftest import make_user

# the e-mails are sent by Celery tasks queued on commit: run them at once
pytestmark = pytest.mark.usefixtures("celery_eager")


def _messages(resp) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in resp.context["messages"]]


def test_values_that_are_not_ids_are_skipped(
    client_a, in_tenant_a, django_capture_on_commit_callbacks
):
    client_a.force_login(make_user("admin", email="admin-form@alpha.test"))
    a = f.member(full_name="Ani", email="ani-form@contoh.test")
    resp = client_a.post(
        "/pengguna/undang-anggota/", {"member": ["x", "\u00b2", "-1"]}, follow=True
    )
    assert resp.status_code == 200
    assert _messages(resp) == [("error", "Pilih setidaknya satu anggota.")]
    assert Member.objects.get(pk=a.pk).user_id is None
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_a.post(
            "/pengguna/undang-anggota/", {"member": ["x", "\u00b2", str(a.pk)]}, follow=True
        )
    assert [level for level, _text in _messages(resp)] == ["success"]
    assert [m.to[0] for m in mail.outbox] == ["ani-form@contoh.test"]
    assert Member.objects.get(pk=a.pk).user_id is not None
