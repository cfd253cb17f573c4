"""Two sign-ups with one legal number (badan hukum number): the second to verify its
e-mail is refused at verification, told why and what to do, in either order; a
cooperative already made with that number refuses it too. Provisioning's lock-held
claim stays the last guard (tests/tenants/test_signup.py)."""

import re
import uuid

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from core.audit.models import AuditEvent
from tenants.models import Cooperative, SignupRequest
from tenants.tasks import signup_provision_task
from tests.tenants.test_signup import _form, tasks_eager

BEING_MADE = (
    "Nomor badan hukum ini sudah dipakai pendaftaran koperasi lain yang sedang disiapkan "
    "di Lumbung. Jika itu koperasi Anda, tunggu e-mail dari pendaftaran itu; jika bukan, "
    "hubungi dukungan Lumbung."
)
MADE = "Nomor badan hukum ini sudah terdaftar di Lumbung untuk koperasi lain."


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def _client() -> Client:
    n = uuid.uuid4().int
    ip = f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"
    return Client(HTTP_HOST=django_settings.BASE_DOMAIN, REMOTE_ADDR=ip)


def _submit(capture, slug: str, email: str, legal_number: str = "123/BH/XVIII.4/2020", **over):
    with tasks_eager(), capture(execute=True):
        response = _client().post(
            "/daftar/", _form(slug=slug, email=email, legal_number=legal_number, **over)
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return SignupRequest.objects.get(slug=slug, status=SignupRequest.Status.PENDING)


def _link(email: str) -> str:
    body = [m for m in mail.outbox if email in m.to][-1].body
    return re.search(r"https?://[^/\s]+(/daftar/verifikasi/[^\s]+/)", body).group(1)


def _press(capture, email: str):
    """The verification button (POST), without running the provisioning task."""
    with capture(execute=False):
        return _client().post(_link(email))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_second_to_verify_is_refused_when_the_first_was_submitted_first(
    db, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _submit(capture, "harapan", "dewi@harapan.test")
    second = _submit(capture, "harapan-dua", "rina@harapan.test", " 123/bh/XVIII.4/2020 ")
    assert _press(capture, "dewi@harapan.test").status_code == 302
    response = _press(capture, "rina@harapan.test")
    assert response.status_code == 409
    html = _text(response)
    assert BEING_MADE in html
    assert "harapan.test" not in html.replace("rina@harapan.test", "")  # whose, not said
    assert "Daftar ulang" not in html  # signing up again would be refused the same
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SignupRequest.Status.QUEUED
    assert second.status == SignupRequest.Status.PENDING  # nothing changed
    assert second.verified_at is None
    assert not AuditEvent.objects.filter(
        action="signup.verified", target_id=str(second.pk)
    ).exists()


def test_the_second_to_verify_is_refused_when_it_was_submitted_first(
    db, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    early = _submit(capture, "harapan", "dewi@harapan.test")
    late = _submit(capture, "harapan-dua", "rina@harapan.test")
    assert _press(capture, "rina@harapan.test").status_code == 302
    response = _press(capture, "dewi@harapan.test")
    assert response.status_code == 409
    assert BEING_MADE in _text(response)
    early.refresh_from_db()
    late.refresh_from_db()
    assert late.status == SignupRequest.Status.QUEUED
    assert early.status == SignupRequest.Status.PENDING


def test_verification_is_refused_once_the_other_cooperative_is_made(
    db, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _submit(capture, "harapan", "dewi@harapan.test")
    second = _submit(capture, "harapan-dua", "rina@harapan.test")
    assert _press(capture, "dewi@harapan.test").status_code == 302
    assert signup_provision_task.apply(args=[first.pk]).get() == "ready"
    response = _press(capture, "rina@harapan.test")
    assert response.status_code == 409
    assert MADE in _text(response)
    assert "hubungi dukungan Lumbung" in _text(response)
    second.refresh_from_db()
    assert second.status == SignupRequest.Status.PENDING
    assert list(
        Cooperative.objects.filter(slug__startswith="harapan").values_list("slug", flat=True)
    ) == ["harapan"]


def test_another_legal_number_verifies_as_before(db, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    _submit(capture, "harapan", "dewi@harapan.test")
    # another cooperative: its own NIK koperasi too (one NIK is refused the same way,
    # tests/tenants/test_signup_nik_verify.py)
    other = _submit(
        capture, "makmur", "rina@makmur.test", "7/BH/2019", nik_koperasi="6271010020009"
    )
    assert _press(capture, "dewi@harapan.test").status_code == 302
    assert _press(capture, "rina@makmur.test").status_code == 302
    other.refresh_from_db()
    assert other.status == SignupRequest.Status.QUEUED


def test_a_failed_sign_up_does_not_hold_the_number(db, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    first = _submit(capture, "harapan", "dewi@harapan.test")
    second = _submit(capture, "harapan-dua", "rina@harapan.test")
    assert _press(capture, "dewi@harapan.test").status_code == 302
    SignupRequest.objects.filter(pk=first.pk).update(status=SignupRequest.Status.FAILED)
    assert _press(capture, "rina@harapan.test").status_code == 302
    second.refresh_from_db()
    assert second.status == SignupRequest.Status.QUEUED
