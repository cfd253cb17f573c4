"""A member's e-mail address longer than a login holds (150 characters; the address
fields hold 254, e-mail's limit): the self-activation form says so and sends nothing, a
link made for one is refused, and the bulk invitation invites the others and lists the
members it left out. Never a 500."""

import re

import pytest
from django.core import mail
from django.db import connection

from core.members.models import Member
from core.portal.activation import activation_token, members_invite
from tests.members import factories as f
from tests.webapp.conftest import make_user

PW = "Portal-Anggota-2026!"
LONG = "a" * 150 + "@contoh.test"  # 162 characters: a valid address
EDGE = "b" * 138 + "@contoh.test"  # 150 characters: still a login

# the e-mails are sent by Celery tasks queued on commit: run them at once
pytestmark = pytest.mark.usefixtures("celery_eager")


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def member(in_tenant_a):
    return f.member(full_name="Sri Handayani")


def _ask(client, captured, member, email):
    with captured(execute=True):
        return client.post(
            "/masuk/aktifkan/", {"number": member.number, "nip": member.nip, "email": email}
        )


def test_activation_form_refuses_an_address_longer_than_a_login(
    client_a, member, django_capture_on_commit_callbacks
):
    client_a.raise_request_exception = False
    resp = _ask(client_a, django_capture_on_commit_callbacks, member, LONG)
    assert resp.status_code == 200
    assert "terlalu panjang untuk login (paling banyak 150 karakter, ini 162)" in (
        resp.content.decode()
    )
    assert mail.outbox == []


def test_activation_with_an_address_of_150_characters_works(
    client_a, member, django_capture_on_commit_callbacks
):
    _ask(client_a, django_capture_on_commit_callbacks, member, EDGE)
    [msg] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/masuk/aktifkan/\S+/)", msg.body).group(1)
    resp = client_a.post(link, {"password1": PW, "password2": PW})
    assert resp.status_code == 302
    assert Member.objects.get(pk=member.pk).user.username == EDGE


def test_a_link_made_for_an_address_longer_than_a_login_is_refused(client_a, member):
    """A link sent before the form refused such addresses."""
    client_a.raise_request_exception = False
    token = activation_token(member=member, email=LONG)
    assert connection.schema_name  # (the link is bound to this cooperative)
    resp = client_a.post(f"/masuk/aktifkan/{token}/", {"password1": PW, "password2": PW})
    assert resp.status_code == 400
    assert "tidak berlaku" in resp.content.decode()
    assert Member.objects.get(pk=member.pk).user_id is None


def test_bulk_invitation_leaves_out_and_lists_members_whose_address_is_too_long(
    client_a, member, django_capture_on_commit_callbacks
):
    Member.objects.filter(pk=member.pk).update(email=LONG)
    other = f.member(full_name="Budi", email="budi-long@contoh.test")
    client_a.raise_request_exception = False
    client_a.force_login(make_user("admin", email="admin-inv@webapp.test"))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_a.post(
            "/pengguna/undang-anggota/", {"member": [member.pk, other.pk]}, follow=True
        )
    assert resp.status_code == 200
    shown = [(m.level_tag, str(m)) for m in resp.context["messages"]]
    assert shown == [
        ("success", "1 undangan portal dikirim."),
        (
            "warning",
            "Tidak diundang karena alamat e-mailnya lebih dari 150 karakter, terlalu panjang "
            f"untuk login: {member.number} Sri Handayani. Perbaiki e-mailnya di data anggota.",
        ),
    ]
    assert [m.to[0] for m in mail.outbox] == ["budi-long@contoh.test"]
    assert Member.objects.get(pk=member.pk).user_id is None
    assert Member.objects.get(pk=other.pk).user_id is not None


def test_members_invite_returns_who_was_left_out(member):
    Member.objects.filter(pk=member.pk).update(email=LONG)
    admin = make_user("admin", email="admin-inv2@webapp.test")
    result = members_invite(by=admin, member_ids=[member.pk])
    assert result.invited == [] and [m.pk for m in result.too_long] == [member.pk]
