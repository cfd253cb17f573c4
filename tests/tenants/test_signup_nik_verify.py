"""Two sign-ups with one NIK koperasi (each with its own address and legal number), sent
before either cooperative was made: the form let both through (no cooperative had it
yet). The second to verify its e-mail is refused there, told why in Indonesian, and
nothing is made for it; provisioning claims the NIK under a lock as the last guard
(a second verified sign-up with it fails for good, no cooperative, no schema); and the
database holds one cooperative per NIK (a partial unique index, where it is set)."""

import re
import uuid

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client

from core.audit.models import AuditEvent
from tenants.models import Cooperative, SignupRequest
from tenants.tasks import signup_provision_task
from tests.tenants.test_signup import _form, tasks_eager

NIK = "6271010020002"
BEING_MADE = (
    "NIK koperasi ini sudah dipakai pendaftaran koperasi lain yang sedang disiapkan di "
    "Lumbung. Jika itu koperasi Anda, tunggu e-mail dari pendaftaran itu; jika bukan, "
    "hubungi dukungan Lumbung."
)
TAKEN = (
    "NIK koperasi ini sudah terdaftar di Lumbung untuk koperasi lain. Jika itu koperasi "
    "Anda, masuk di alamat Lumbung-nya atau hubungi dukungan Lumbung."
)


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def _client() -> Client:
    n = uuid.uuid4().int
    ip = f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"
    return Client(HTTP_HOST=django_settings.BASE_DOMAIN, REMOTE_ADDR=ip)


def _submit(capture, slug: str, email: str, legal_number: str, nik: str = NIK):
    with tasks_eager(), capture(execute=True):
        response = _client().post(
            "/daftar/",
            _form(slug=slug, email=email, legal_number=legal_number, nik_koperasi=nik),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return SignupRequest.objects.get(slug=slug, status=SignupRequest.Status.PENDING)


def _link(email: str) -> str:
    body = [m for m in mail.outbox if email in m.to][-1].body
    return re.search(r"https?://[^/\s]+(/daftar/verifikasi/[^\s]+/)", body).group(1)


def _press(capture, email: str):
    with capture(execute=False):
        return _client().post(_link(email))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode()).replace("&#x27;", "'")


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


@pytest.mark.django_db
def test_the_second_sign_up_with_a_nik_being_made_is_refused_at_verification(
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    first = _submit(capture, "harapan", "dewi@harapan.test", "1/BH/2020")
    second = _submit(capture, "makmur", "rina@makmur.test", "2/BH/2021", "6271.0100.2000.2")
    assert second.nik_koperasi == NIK  # kept as its digits
    assert _press(capture, "dewi@harapan.test").status_code == 302
    response = _press(capture, "rina@makmur.test")
    assert response.status_code == 409
    html = _text(response)
    assert "Pendaftaran tidak dapat dilanjutkan" in html
    assert BEING_MADE in html
    assert "harapan" not in html  # whose, not said
    assert "Daftar ulang" not in html
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SignupRequest.Status.QUEUED
    assert second.status == SignupRequest.Status.PENDING and second.verified_at is None
    assert not AuditEvent.objects.filter(
        action="signup.verified", target_id=str(second.pk)
    ).exists()


@pytest.mark.django_db
def test_once_the_first_is_made_the_second_is_refused_and_nothing_is_made_for_it(
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    first = _submit(capture, "harapan", "dewi@harapan.test", "1/BH/2020")
    second = _submit(capture, "makmur", "rina@makmur.test", "2/BH/2021")
    assert _press(capture, "dewi@harapan.test").status_code == 302
    assert signup_provision_task.apply(args=[first.pk]).get() == "ready"
    response = _press(capture, "rina@makmur.test")
    assert response.status_code == 409
    assert TAKEN in _text(response)
    second.refresh_from_db()
    assert second.status == SignupRequest.Status.PENDING
    assert list(Cooperative.objects.filter(nik_koperasi=NIK).values_list("slug", flat=True)) == [
        "harapan"
    ]


@pytest.mark.django_db
def test_provisioning_a_second_verified_sign_up_with_the_nik_fails_leaving_nothing(
    django_capture_on_commit_callbacks,
):
    """Both verified before either check could see the other (as before verification
    checked the NIK): provisioning's claim refuses the second, for good, told on its
    status page; no cooperative row, domain or schema is left of it."""
    capture = django_capture_on_commit_callbacks
    first = _submit(capture, "harapan", "dewi@harapan.test", "1/BH/2020")
    second = _submit(capture, "makmur", "rina@makmur.test", "2/BH/2021")
    SignupRequest.objects.filter(pk__in=[first.pk, second.pk]).update(
        status=SignupRequest.Status.QUEUED
    )
    assert signup_provision_task.apply(args=[first.pk]).get() == "ready"
    assert signup_provision_task.apply(args=[second.pk]).get() == "failed"
    second.refresh_from_db()
    assert second.status == SignupRequest.Status.FAILED
    assert second.attempts == 1  # refused for good, not retried
    assert second.last_error.startswith("nik_koperasi_taken")
    assert not Cooperative.objects.filter(slug="makmur").exists()
    assert not _schema_exists("coop_makmur")
    page = _text(_client().get(f"/daftar/status/{second.public_id}/"))
    assert TAKEN in page


@pytest.mark.django_db
def test_another_nik_verifies_as_before(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    _submit(capture, "harapan", "dewi@harapan.test", "1/BH/2020")
    other = _submit(capture, "makmur", "rina@makmur.test", "2/BH/2021", "6271010020009")
    assert _press(capture, "dewi@harapan.test").status_code == 302
    assert _press(capture, "rina@makmur.test").status_code == 302
    other.refresh_from_db()
    assert other.status == SignupRequest.Status.QUEUED


@pytest.mark.django_db
def test_the_database_refuses_a_second_cooperative_with_a_nik(tenant_a, tenant_b):
    Cooperative.objects.filter(pk=tenant_a.pk).update(nik_koperasi=NIK)
    with pytest.raises(IntegrityError), transaction.atomic():
        Cooperative.objects.filter(pk=tenant_b.pk).update(nik_koperasi=NIK)
    # none set: as many as there are
    Cooperative.objects.filter(pk=tenant_a.pk).update(nik_koperasi="")
    assert Cooperative.objects.filter(nik_koperasi="").count() >= 2


@pytest.mark.django_db
def test_the_migration_keeps_digits_and_stops_naming_cooperatives_sharing_a_nik(tenant_a, tenant_b):
    """tenants 0006 over rows written before the index: a NIK typed with separators is
    kept as its digits; two cooperatives with one NIK stop the migration, naming both."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("tenants.migrations.0006_cooperative_nik_koperasi_unique")
    with connection.cursor() as cur:  # as before the index (rolled back with the test)
        cur.execute("DROP INDEX tenants_cooperative_nik_koperasi_unique")
    Cooperative.objects.filter(pk=tenant_a.pk).update(nik_koperasi="6271.0100.2000.2")
    migration.digits_kept_and_no_duplicates(apps, None)
    tenant_a.refresh_from_db()
    assert tenant_a.nik_koperasi == NIK

    Cooperative.objects.filter(pk=tenant_b.pk).update(nik_koperasi="6271 010020002")
    with pytest.raises(RuntimeError) as stopped:
        migration.digits_kept_and_no_duplicates(apps, None)
    message = str(stopped.value)
    assert f"NIK {NIK}: #{tenant_a.pk} {tenant_a.slug} ({tenant_a.name}), " in message
    assert f"#{tenant_b.pk} {tenant_b.slug} ({tenant_b.name})" in message
