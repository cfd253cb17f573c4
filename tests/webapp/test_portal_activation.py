"""Members activate their own portal login (member number + NIP or date of birth +
e-mail link), with one answer whatever matched and rate limits; admins invite members
with an e-mail in bulk."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection

from core.audit.models import AuditEvent
from core.members.models import Member
from core.users.models import User
from tests.members import factories as f
from tests.webapp.conftest import make_user

PW = "Portal-Anggota-2026!"

# the e-mails are sent by Celery tasks queued on commit: run them at once
pytestmark = pytest.mark.usefixtures("celery_eager")


@pytest.fixture
def member(in_tenant_a):
    m = f.member(full_name="Sri Handayani")
    Member.objects.filter(pk=m.pk).update(birth_date=dt.date(1980, 5, 17))
    m.refresh_from_db()
    return m


def _ask(client, captured, **data):
    with captured(execute=True):
        return client.post("/masuk/aktifkan/", data, REMOTE_ADDR=data.pop("_ip", "192.0.2.10"))


def _link(msg) -> str:
    return re.search(r"http://alpha\.localhost:8000(/masuk/aktifkan/\S+/)", msg.body).group(1)


def test_member_activates_with_nip_and_email_link(
    client_a, member, django_capture_on_commit_callbacks
):
    resp = _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        nip=member.nip,
        email="Sri@Contoh.test",
    )
    assert resp.status_code == 200 and 'id="activation-sent"' in resp.content.decode()
    [msg] = mail.outbox
    assert msg.to == ["sri@contoh.test"] and member.number in msg.body
    link = _link(msg)

    form = client_a.get(link)
    assert form.status_code == 200 and "Sri Handayani" in form.content.decode()
    weak = client_a.post(link, {"password1": "123", "password2": "123"})
    assert weak.status_code == 200 and not User.objects.filter(email="sri@contoh.test").exists()

    done = client_a.post(link, {"password1": PW, "password2": PW})
    assert done.status_code == 302 and done["Location"] == "/portal/"
    user = User.objects.get(username="sri@contoh.test")
    assert user.role == User.Role.ANGGOTA and user.check_password(PW) and not user.is_staff
    member.refresh_from_db()
    assert member.user_id == user.pk
    assert "Sri Handayani" in client_a.get("/portal/").content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"portal.activation_requested", "portal.activated"} <= actions

    # the link works once
    client_a.logout()
    again = client_a.get(link)
    assert again.status_code == 400 and "tidak berlaku" in again.content.decode()


def test_member_activates_with_date_of_birth(client_a, member, django_capture_on_commit_callbacks):
    _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        birth_date="1980-05-17",
        email="sri2@contoh.test",
    )
    assert len(mail.outbox) == 1


def test_wrong_details_give_the_same_answer_and_send_nothing(
    client_a, member, django_capture_on_commit_callbacks
):
    ok = _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        nip=member.nip,
        email="a@contoh.test",
        _ip="192.0.2.20",
    )
    mail.outbox.clear()
    answers = [
        _ask(client_a, django_capture_on_commit_callbacks, _ip="192.0.2.21", **data)
        for data in (
            {"number": member.number, "nip": "199001012020121001", "email": "b@contoh.test"},
            {"number": member.number, "birth_date": "1981-05-17", "email": "b@contoh.test"},
            {"number": "TIDAK-ADA-99", "nip": member.nip, "email": "b@contoh.test"},
        )
    ]
    assert mail.outbox == []

    def strip(resp):  # the page without its CSRF token and the typed address
        body = resp.content.decode()
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
        body = re.sub(r'"X-CSRFToken": "[^"]+"', "", body)
        return re.sub(r"\S+@contoh\.test", "E", body)

    assert {r.status_code for r in answers} == {200}
    assert {strip(r) for r in answers} == {strip(ok)}


def test_member_with_a_login_or_a_taken_email_gets_no_link(
    client_a, member, django_capture_on_commit_callbacks
):
    make_user("bendahara", email="dipakai@contoh.test")
    _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        nip=member.nip,
        email="dipakai@contoh.test",
    )
    assert mail.outbox == []
    member.user = make_user("anggota", email="sudah@contoh.test")
    member.save(update_fields=["user"])
    _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        nip=member.nip,
        email="baru@contoh.test",
    )
    assert mail.outbox == []


def test_activation_needs_nip_or_birth_date(client_a, member):
    resp = client_a.post("/masuk/aktifkan/", {"number": member.number, "email": "x@contoh.test"})
    assert resp.status_code == 200
    assert resp.context["form"].errors["nip"]


def test_activation_requests_are_rate_limited_per_member_number(
    client_a, member, django_capture_on_commit_callbacks
):
    codes = [
        _ask(
            client_a,
            django_capture_on_commit_callbacks,
            number=member.number,
            nip="199001012020121001",
            email="x@contoh.test",
            _ip=f"192.0.2.{30 + i}",
        ).status_code
        for i in range(6)
    ]
    assert codes == [200] * 5 + [429]
    # the right details are refused too once the number is limited: no guessing on
    limited = _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        nip=member.nip,
        email="x@contoh.test",
        _ip="192.0.2.99",
    )
    assert limited.status_code == 429 and mail.outbox == []


def test_activation_requests_are_rate_limited_per_client(client_a, member):
    codes = [
        client_a.post(
            "/masuk/aktifkan/",
            {"number": f"X{i}", "nip": "199001012020121001", "email": "x@contoh.test"},
            REMOTE_ADDR="192.0.2.77",
        ).status_code
        for i in range(11)
    ]
    assert codes == [200] * 10 + [429]


def test_forged_activation_link_is_refused(client_a, member):
    from core.portal.activation import activation_token

    token = activation_token(member=member, email="palsu@contoh.test")
    resp = client_a.get(f"/masuk/aktifkan/{token[:-2]}xx/")
    assert resp.status_code == 400


def _members_with_the_same_id(tenant_a, tenant_b):
    """A member in A and one in B with the same primary key (each schema counts its own)."""
    connection.set_tenant(tenant_a)
    a = f.member(full_name="Anggota di A")
    connection.set_tenant(tenant_b)
    b = f.member(full_name="Anggota di B")
    if a.pk != b.pk:
        # Sequences are never rolled back, so the two schemas' ids drift apart as the
        # suite runs (thousands apart): the schema behind moves its id sequence up to the
        # other's id instead of making a member per id in between.
        behind, ahead = (tenant_a, b) if a.pk < b.pk else (tenant_b, a)
        connection.set_tenant(behind)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('members_member', 'id'), %s)", [ahead.pk - 1]
            )
        made = f.member(full_name="Anggota lain")
        assert made.pk == ahead.pk
        a, b = (made, b) if behind == tenant_a else (a, made)
    return a, b


def test_activation_link_works_only_at_the_cooperative_that_sent_it(
    tenant_a, tenant_b, client_a, client_b, django_capture_on_commit_callbacks
):
    a_member, b_member = _members_with_the_same_id(tenant_a, tenant_b)
    connection.set_tenant(tenant_a)
    _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=a_member.number,
        nip=a_member.nip,
        email="anggota.a@contoh.test",
    )
    [msg] = mail.outbox
    link = _link(msg)

    # B has an active member with that id and no login: the link of A opens nothing there
    assert client_b.get(link).status_code == 400
    taken = client_b.post(link, {"password1": PW, "password2": PW})
    assert taken.status_code == 400 and "tidak berlaku" in taken.content.decode()
    connection.set_tenant(tenant_b)
    b_member.refresh_from_db()
    assert b_member.user_id is None
    assert not User.objects.filter(email="anggota.a@contoh.test").exists()

    # at A it still works
    connection.set_tenant(tenant_a)
    done = client_a.post(link, {"password1": PW, "password2": PW})
    assert done.status_code == 302 and done["Location"] == "/portal/"
    a_member.refresh_from_db()
    assert a_member.user.email == "anggota.a@contoh.test"


def test_login_page_links_to_activation(client_a, in_tenant_a):
    assert "/masuk/aktifkan/" in client_a.get("/masuk/").content.decode()


# ------------------------------------------------------------------ bulk invitation


def test_admin_invites_members_with_email_in_bulk(
    client_a, in_tenant_a, django_capture_on_commit_callbacks
):
    admin = make_user("admin", email="admin-undang@alpha.test")
    a = f.member(full_name="Ani", email="ani@contoh.test")
    b = f.member(full_name="Budi", email="budi@contoh.test")
    no_mail = f.member(full_name="Tanpa Surel")
    client_a.force_login(admin)
    page = client_a.get("/pengguna/undang-anggota/").content.decode()
    assert "Ani" in page and "Budi" in page and "Tanpa Surel" not in page

    with django_capture_on_commit_callbacks(execute=True):
        resp = client_a.post("/pengguna/undang-anggota/", {"member": [a.pk, b.pk, no_mail.pk]})
    assert resp.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["ani@contoh.test", "budi@contoh.test"]
    assert "/atur-sandi/" in mail.outbox[0].body
    for m in (a, b):
        m.refresh_from_db()
        assert m.user.role == User.Role.ANGGOTA and not m.user.has_usable_password()
    assert Member.objects.get(pk=no_mail.pk).user_id is None
    assert AuditEvent.objects.filter(action="portal.invited").count() == 2
    # invited members leave the list
    assert "Ani" not in client_a.get("/pengguna/undang-anggota/").content.decode()


def test_only_admins_invite_members(client_a, in_tenant_a):
    client_a.force_login(make_user("bendahara", email="b-undang@alpha.test"))
    assert client_a.get("/pengguna/undang-anggota/").status_code == 403
    assert client_a.post("/pengguna/undang-anggota/", {"member": [1]}).status_code == 403


def test_a_mail_server_failure_gives_the_same_answer_not_a_500(
    client_a, member, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    """A refused or broken mail server once raised out of the request — a 500 only when
    the details matched a member, which told a stranger that they did (the answer must be
    the same whatever matched). The e-mail is now a task queued on commit
    (core.portal.tasks): the failure is tried again, then logged, and the page is the
    usual one (here the task runs at once, in the request, as without a broker)."""
    import smtplib

    def refused(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"x@contoh.test": (550, b"no")})

    monkeypatch.setattr("core.portal.activation.send_mail", refused)
    matched = _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        nip=member.nip,
        email="x@contoh.test",
    )
    unknown = _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number="TIDAK-ADA-99",
        nip=member.nip,
        email="x@contoh.test",
    )
    assert matched.status_code == unknown.status_code == 200
    assert 'id="activation-sent"' in matched.content.decode()
    assert 'id="activation-sent"' in unknown.content.decode()
    assert any("activation" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


@pytest.mark.parametrize(
    ("lang", "rules"),
    [
        ("id", ["setidaknya 8 karakter", "tidak bisa sepenuhnya numerik"]),
        ("en", ["at least 8 characters", "can’t be entirely numeric"]),
    ],
)
def test_the_password_form_lists_the_rules_before_typing_in_the_readers_language(
    client_a, member, django_capture_on_commit_callbacks, lang, rules
):
    from django.conf import settings
    from django.utils.html import escape

    _ask(
        client_a,
        django_capture_on_commit_callbacks,
        number=member.number,
        nip=member.nip,
        email="sri@contoh.test",
    )
    [msg] = mail.outbox
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    page = client_a.get(_link(msg)).content.decode()
    help_ = re.search(r'<span class="field-help">(.*?)</span>', page, re.S)
    assert help_, "no rules shown beside the password"
    for rule in rules:
        assert escape(rule) in help_.group(1) or rule in help_.group(1), help_.group(1)
