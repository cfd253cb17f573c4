"""Self-service sign-up over HTTP: form, verification link, provisioning task, first
login at the new host; and what must be refused."""

import re
import time
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.common.errors import ApplicationError
from core.users.models import User
from tenants.models import Cooperative, Domain, SignupRequest
from tenants.signup import VERIFY_SALT, signup_provision, signup_verify
from tenants.tasks import signup_provision_task
from tenants.validators import validate_slug
from tests.link_button import press
from tests.tenants.signup_helpers import PASSWORD, tasks_eager
from tests.tenants.signup_helpers import signup_client as _client
from tests.tenants.signup_helpers import signup_form as _form
from tests.tenants.signup_helpers import signup_ip as _ip

DEWI = "dewi@harapan.test"


@pytest.fixture
def eager_celery():
    from lumbung.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0  # refilling in every test would only cost time


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


def _verify_link(email: str) -> str:
    body = [m for m in mail.outbox if email in m.to][-1].body
    return re.search(r"https?://[^/\s]+(/daftar/verifikasi/[^\s]+/)", body).group(1)


def _submit(client, capture, **over):
    with tasks_eager(), capture(execute=True):
        return client.post("/daftar/", _form(**over))


def _mails_to(email: str) -> list:
    return [m for m in mail.outbox if email in m.to]


def _age(signups, delta: timedelta) -> None:
    """As if these sign-ups had been submitted, and their last verification e-mail sent,
    ``delta`` ago."""
    then = timezone.now() - delta
    signups.update(created_at=then, verification_sent_at=then)


@contextmanager
def _clock(ahead: timedelta):
    """The server's clock ``ahead`` of now: Django's ``timezone.now`` and the signing
    timestamps of links."""
    now, epoch = timezone.now(), time.time()
    with (
        mock.patch("django.utils.timezone.now", return_value=now + ahead),
        mock.patch("django.core.signing.time.time", return_value=epoch + ahead.total_seconds()),
    ):
        yield


# ------------------------------------------------------------------------- happy path


def test_signup_over_http_ends_logged_in_at_the_new_host(
    db, eager_celery, django_capture_on_commit_callbacks, settings
):
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # production's hasher
    client = _client()
    page = client.get("/daftar/")
    assert page.status_code == 200
    assert "Daftarkan koperasi Anda" in page.content.decode()

    response = _submit(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302, response.content.decode()[:2000]
    signup = SignupRequest.objects.get(slug="harapan")
    assert signup.status == SignupRequest.Status.PENDING
    assert signup.phone == "+6281234567890"
    assert signup.password_hash.startswith("pbkdf2_") and PASSWORD not in signup.password_hash
    assert not Cooperative.objects.filter(slug="harapan").exists()  # not before verification
    status = client.get(response["Location"])
    assert "dewi@harapan.test" in status.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        verified = press(client, _verify_link("dewi@harapan.test"))
    assert verified.status_code == 302
    signup.refresh_from_db()
    assert signup.status == SignupRequest.Status.READY, signup.last_error
    coop = Cooperative.objects.get(slug="harapan")
    assert coop.status == Cooperative.Status.TRIAL
    assert (coop.province, coop.regency, coop.kind) == (
        "Kalimantan Tengah",
        "Kota Palangka Raya",
        "kpri",
    )
    assert Domain.objects.filter(tenant=coop, domain="harapan.localhost").exists()
    assert any("Selamat datang" in m.subject for m in mail.outbox)

    # The status page (same browser) sends the user to the new host, logged in once.
    ready = client.get(verified["Location"])
    assert ready.status_code == 302
    assert ready["Location"].startswith("http://harapan.localhost:8000/masuk/sekali/")
    new_host = Client(HTTP_HOST="harapan.localhost")
    path = ready["Location"].split("harapan.localhost:8000", 1)[1]
    landed = press(new_host, path)
    assert landed.status_code == 302
    me = new_host.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "dewi@harapan.test"
    assert new_host.get("/").status_code == 200
    # The link is single-use.
    again = Client(HTTP_HOST="harapan.localhost")
    assert again.post(path).status_code == 302
    assert again.get("/api/v1/me/").status_code in (401, 403)

    # And the chosen password works at the new host's login form.
    fresh = Client(HTTP_HOST="harapan.localhost")
    login = fresh.post("/masuk/", {"username": "dewi@harapan.test", "password": PASSWORD})
    assert login.status_code == 302
    with schema_context(coop.schema_name):
        admin = User.objects.get(username="dewi@harapan.test")
        assert admin.role == User.Role.ADMIN and admin.full_name == "Dewi Lestari"


def test_the_verification_link_does_not_log_in_the_browser_that_opens_it(
    db, eager_celery, django_capture_on_commit_callbacks
):
    """Pressed anywhere (a forwarded e-mail, the phone), the link's button verifies the
    address only: that browser is asked for the password at the new host."""
    submitter = _client()
    _submit(submitter, django_capture_on_commit_callbacks, slug="tanpasesi")
    elsewhere = _client()
    with django_capture_on_commit_callbacks(execute=True):
        verified = press(elsewhere, _verify_link("dewi@harapan.test"))
    assert verified.status_code == 302
    assert SignupRequest.objects.get(slug="tanpasesi").status == SignupRequest.Status.READY
    page = elsewhere.get(verified["Location"])
    assert page.status_code == 200
    assert "http://tanpasesi.localhost:8000/masuk/" in page.content.decode()
    assert "/masuk/sekali/" not in page.content.decode()


def test_the_submitting_browser_is_logged_in_even_when_verified_elsewhere(
    db, eager_celery, django_capture_on_commit_callbacks
):
    submitter = _client()
    response = _submit(submitter, django_capture_on_commit_callbacks, slug="duaperangkat")
    with django_capture_on_commit_callbacks(execute=True):
        press(_client(), _verify_link("dewi@harapan.test"))  # opened on the phone
    ready = submitter.get(response["Location"])
    assert ready.status_code == 302
    assert ready["Location"].startswith("http://duaperangkat.localhost:8000/masuk/sekali/")


def test_resending_someone_elses_form_without_the_password_grants_no_login(
    db, eager_celery, django_capture_on_commit_callbacks
):
    _submit(_client(), django_capture_on_commit_callbacks, slug="milikdewi")
    intruder = _client()
    copied = _submit(
        intruder,
        django_capture_on_commit_callbacks,
        slug="milikdewi",
        password="Tebakan-Lain-2026",
        password2="Tebakan-Lain-2026",
    )
    assert copied.status_code == 302  # the same request back, as a double submit
    with django_capture_on_commit_callbacks(execute=True):
        press(_client(), _verify_link("dewi@harapan.test"))
    page = intruder.get(copied["Location"])
    assert page.status_code == 200 and "/masuk/sekali/" not in page.content.decode()


# ------------------------------------------- links opened by mail scanners spend nothing


def _verification_events(signup) -> int:
    from core.audit.models import AuditEvent

    return AuditEvent.objects.filter(action="signup.verified", target_id=str(signup.pk)).count()


def test_opening_the_verification_link_spends_nothing(db, django_capture_on_commit_callbacks):
    """A mail scanner opens every link before the person does: the GET shows a page
    with one button and changes nothing; the button verifies once."""
    submitter = _client()
    submitted = _submit(submitter, django_capture_on_commit_callbacks, slug="pindai")
    link = _verify_link(DEWI)
    scanner = _client()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        opened = scanner.get(link)
        scanner.get(link)
    page = opened.content.decode()
    assert opened.status_code == 200
    assert "KPRI Harapan Bersama" in page and "pindai.localhost" in page
    assert "Verifikasi dan siapkan koperasi" in page
    signup = SignupRequest.objects.get(slug="pindai")
    assert signup.status == SignupRequest.Status.PENDING and signup.verified_at is None
    assert not queued and _verification_events(signup) == 0

    with django_capture_on_commit_callbacks(execute=False) as queued:
        pressed = press(_client(), link)
    assert pressed.status_code == 302 and pressed["Location"] == submitted["Location"]
    signup.refresh_from_db()
    assert signup.status == SignupRequest.Status.QUEUED and signup.verified_at is not None
    assert len(queued) == 1 and _verification_events(signup) == 1

    # The button again (a double click, another device): nothing queued twice, and said.
    again_client = _client()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        again = again_client.post(link)
    assert again.status_code == 302 and again["Location"] == submitted["Location"]
    assert not queued and _verification_events(signup) == 1
    shown = again_client.get(again["Location"]).content.decode()
    assert "Alamat e-mail ini sudah diverifikasi." in shown


def test_the_verification_button_refuses_a_post_without_its_csrf_token(
    db, django_capture_on_commit_callbacks
):
    _submit(_client(), django_capture_on_commit_callbacks, slug="tanpatoken")
    forged = Client(HTTP_HOST=django_settings.BASE_DOMAIN, enforce_csrf_checks=True)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = forged.post(_verify_link(DEWI))
    assert response.status_code == 403 and not queued
    assert SignupRequest.objects.get(slug="tanpatoken").status == SignupRequest.Status.PENDING


def test_opening_the_one_time_login_link_spends_nothing(
    db, eager_celery, django_capture_on_commit_callbacks
):
    client = _client()
    submitted = _submit(client, django_capture_on_commit_callbacks, slug="sekali")
    with django_capture_on_commit_callbacks(execute=True):
        press(_client(), _verify_link(DEWI))
    target = client.get(submitted["Location"])["Location"]
    path = target.split("sekali.localhost:8000", 1)[1]
    assert path.startswith("/masuk/sekali/")

    scanner = Client(HTTP_HOST="sekali.localhost")
    opened = scanner.get(path)
    page = opened.content.decode()
    assert opened.status_code == 200
    assert "KPRI Harapan Bersama" in page and DEWI in page and "Masuk ke koperasi" in page
    assert scanner.get("/api/v1/me/").status_code in (401, 403)  # not logged in
    signup = SignupRequest.objects.get(slug="sekali")
    assert signup.login_used_at is None

    person = Client(HTTP_HOST="sekali.localhost")
    pressed = press(person, path)
    assert pressed.status_code == 302 and pressed["Location"] == "/"
    assert person.get("/api/v1/me/").json()["username"] == DEWI
    signup.refresh_from_db()
    assert signup.login_used_at is not None

    # Spent: pressing again logs no one in, and says why; opening it shows the same.
    late = Client(HTTP_HOST="sekali.localhost")
    refused = late.post(path, follow=True)
    assert refused.redirect_chain[0] == ("/masuk/", 302)
    assert "Tautan masuk ini sudah dipakai" in refused.content.decode()
    assert late.get("/api/v1/me/").status_code in (401, 403)
    reopened = Client(HTTP_HOST="sekali.localhost").get(path, follow=True)
    assert reopened.redirect_chain[0] == ("/masuk/", 302)
    assert "Tautan masuk ini sudah dipakai" in reopened.content.decode()


# ------------------------------------------------------------------------- refusals


def test_duplicate_slug_is_refused(db, tenant_a, django_capture_on_commit_callbacks):
    response = _submit(_client(), django_capture_on_commit_callbacks, slug=tenant_a.slug)
    assert response.status_code == 200
    assert "sudah dipakai" in response.content.decode()
    # A live sign-up holds its slug against another e-mail too.
    _submit(_client(), django_capture_on_commit_callbacks, slug="rebutan")
    other = _submit(
        _client(), django_capture_on_commit_callbacks, slug="rebutan", email="lain@x.test"
    )
    assert "sudah dipakai" in other.content.decode()
    assert SignupRequest.objects.filter(slug="rebutan").count() == 1


def test_an_address_served_as_another_cooperatives_domain_is_taken(
    db, tenant_a, django_capture_on_commit_callbacks
):
    from core.common.errors import ApplicationError
    from tenants.services import cooperative_create, tenant_host
    from tenants.signup import slug_availability

    # e.g. the old address kept as an extra domain after a rename (console "add domain")
    Domain.objects.create(domain=tenant_host("kpri-lama"), tenant=tenant_a, is_primary=False)
    problem = slug_availability("kpri-lama")
    assert problem is not None and problem.code == "slug_taken"
    taken = _client().get("/daftar/cek-alamat/", {"slug": "kpri-lama"})
    assert 'data-available="no"' in taken.content.decode()
    response = _submit(_client(), django_capture_on_commit_callbacks, slug="kpri-lama")
    assert response.status_code == 200 and "sudah dipakai" in response.content.decode()
    assert not SignupRequest.objects.filter(slug="kpri-lama").exists()
    # provisioning (a domain added after the sign-up was verified) is a clear refusal too
    with pytest.raises(ApplicationError) as err:
        cooperative_create(slug="kpri-lama", name="KPRI Baru", admin_email="a@baru.test")
    assert err.value.code == "slug_taken"
    assert not Cooperative.objects.filter(slug="kpri-lama").exists()


@pytest.mark.parametrize(
    "slug",
    [
        "admin",
        "www",
        "api",
        "console",
        "static",
        # Lumbung's own pages and look-alikes of infrastructure hosts (issue 22).
        "konsol",
        "dukungan",
        "bantuan",
        "portal",
        "akun",
        "pengguna",
        "langganan",
        "keluar",
        "metrics",
        "staging",
        # The public site's own paths: the Dinas view (a cooperative at dinas.<domain>
        # would pass for the Dinas office and phish its officers), its officers, the
        # apex's "Masuk" for cooperatives.
        "dinas",
        "pembina",
        "masuk-koperasi",
        "www2",
        "mail-kpri",
        "mailserver",
        "admin-koperasi",
        "api-v2",
        "xn--80ak6aa92e",
    ],
)
def test_reserved_slug_is_refused(db, slug, django_capture_on_commit_callbacks):
    response = _submit(_client(), django_capture_on_commit_callbacks, slug=slug)
    assert response.status_code == 200
    assert "dicadangkan" in response.content.decode() or "tidak boleh" in response.content.decode()
    assert not SignupRequest.objects.filter(slug=slug).exists()


@pytest.mark.parametrize(
    ("slug", "suggestion"),
    [
        # Addresses that pass for the Dinas view or its officers, or for Lumbung's own
        # console and help desk (only the exact words were reserved).
        ("dinas-kpri", "kpri-dinas-kpri"),
        ("dinaskoperasi-jatim", "kpri-dinaskoperasi-jatim"),
        ("pembina-x", "kpri-pembina-x"),
        ("konsol-lumbung", "kpri-konsol-lumbung"),
        ("operator-lumbung", "kpri-operator-lumbung"),
        ("lumbung-support", "kpri-lumbung-support"),
        ("dukungan-lumbung", "kpri-dukungan-lumbung"),
        ("masuk-lumbung", "kpri-masuk-lumbung"),
    ],
)
def test_an_address_starting_like_the_platform_or_the_dinas_is_refused_with_a_way_out(
    db, slug, suggestion, django_capture_on_commit_callbacks
):
    response = _submit(_client(), django_capture_on_commit_callbacks, slug=slug)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Alamat &#x27;{slug}&#x27; tidak boleh dipakai" in body
    assert f"coba misalnya &#x27;{suggestion}&#x27;" in body
    assert not SignupRequest.objects.filter(slug=slug).exists()
    # The way out is itself free to use.
    validate_slug(suggestion)


@pytest.mark.parametrize(
    "slug", ["kpri-dinas-pendidikan", "guru-pembina", "lumbungtani", "kpri-lumbung-desa"]
)
def test_an_address_with_a_reserved_word_further_in_is_free(slug):
    validate_slug(slug)


@pytest.mark.parametrize("slug", ["ab", "-awal", "akhir-", "dua kata", "a_b", "x" * 41])
def test_malformed_slug_is_refused(db, slug, django_capture_on_commit_callbacks):
    response = _submit(_client(), django_capture_on_commit_callbacks, slug=slug)
    assert response.status_code == 200
    assert SignupRequest.objects.count() == 0


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("email", "bukan-email", "e-mail tidak valid"),
        ("email", "a@b", "e-mail tidak valid"),
        ("phone", "12345", "telepon tidak valid"),
        ("phone", "+1 202 555 0100", "telepon tidak valid"),
        ("regency", "Kota Surabaya", "tidak ada di provinsi"),
        ("password2", "lain-sekali-123", "tidak sama"),
        ("legal_date", "2999-01-01", "masa depan"),
        ("nik_koperasi", "12AB", "NIK koperasi"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    db, field, value, message, django_capture_on_commit_callbacks
):
    response = _submit(_client(), django_capture_on_commit_callbacks, **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SignupRequest.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    "typed,stored",
    [("1.000", 1000), ("2.000", 2000), ("1.250", 1250), ("1,250", 1250), ("350", 350)],
)
def test_member_count_typed_with_thousands_dots_is_read_as_typed(
    db, typed, stored, django_capture_on_commit_callbacks
):
    # "1.000" anggota is a thousand, not one (Django's IntegerField dropped ".000").
    response = _submit(_client(), django_capture_on_commit_callbacks, member_count=typed)
    assert response.status_code == 302
    assert SignupRequest.objects.get(slug="harapan").member_count == stored


@pytest.mark.parametrize("typed", ["12,5", "1.5", "1.25", "seribu", "1.000,00", "-5"])
def test_member_count_that_is_no_whole_number_is_refused_saying_how_to_write_it(
    db, typed, django_capture_on_commit_callbacks
):
    response = _submit(_client(), django_capture_on_commit_callbacks, member_count=typed)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tulis jumlah anggota sebagai bilangan bulat, mis. 350 atau 1.250." in body, typed
    assert SignupRequest.objects.count() == 0


def test_member_count_is_a_text_input_so_browsers_keep_the_dots(db):
    page = _client().get("/daftar/").content.decode()
    field = re.search(r"<input[^>]*name=\"member_count\"[^>]*>", page).group(0)
    assert 'type="text"' in field and 'inputmode="numeric"' in field


def test_terms_must_be_accepted(db, django_capture_on_commit_callbacks):
    data = _form()
    del data["terms"]
    response = _client().post("/daftar/", data)
    assert response.status_code == 200
    assert SignupRequest.objects.count() == 0


def test_expired_verification_link_is_refused(db, settings, django_capture_on_commit_callbacks):
    _submit(_client(), django_capture_on_commit_callbacks)
    signup = SignupRequest.objects.get(slug="harapan")
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 3 * 86400):
        old_token = signing.dumps({"id": signup.pk, "p": signup.public_id}, salt=VERIFY_SALT)
    response = _client().get(f"/daftar/verifikasi/{old_token}/")
    assert response.status_code == 410
    assert "kedaluwarsa" in response.content.decode()
    signup.refresh_from_db()
    assert signup.status == SignupRequest.Status.PENDING
    forged = _client().get(f"/daftar/verifikasi/{old_token[:-3]}xyz/")
    assert forged.status_code == 400


def test_expired_pending_request_frees_its_slug(db, django_capture_on_commit_callbacks):
    _submit(_client(), django_capture_on_commit_callbacks, slug="lama")
    _age(SignupRequest.objects.filter(slug="lama"), timedelta(days=365))
    response = _submit(_client(), django_capture_on_commit_callbacks, slug="lama", email="b@x.test")
    assert response.status_code == 302
    assert set(SignupRequest.objects.filter(slug="lama").values_list("status", flat=True)) == {
        "expired",
        "pending",
    }


def test_an_unverified_signup_holds_its_address_for_a_few_hours_only(
    db, django_capture_on_commit_callbacks
):
    _submit(_client(), django_capture_on_commit_callbacks, slug="tahan")
    held = SignupRequest.objects.filter(slug="tahan")
    _age(held, timedelta(hours=2))
    taken = _submit(_client(), django_capture_on_commit_callbacks, slug="tahan", email="b@x.test")
    assert taken.status_code == 200 and "sudah dipakai" in taken.content.decode()
    _age(held, timedelta(hours=4))
    free = _submit(_client(), django_capture_on_commit_callbacks, slug="tahan", email="b@x.test")
    assert free.status_code == 302
    assert "3 jam" in [m for m in mail.outbox if "dewi@harapan.test" in m.to][0].body


def test_invalid_posts_do_not_use_up_the_rate_limit(
    db, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_RATE_LIMIT = (2, 3600)
    client = _client()
    for _ in range(5):
        assert client.post("/daftar/", {}).status_code == 200
    codes = [
        _submit(client, django_capture_on_commit_callbacks, slug=f"sah-{i}").status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]


def test_the_rate_limit_counts_the_client_behind_the_proxy(
    db, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_RATE_LIMIT = (1, 3600)
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = _ip()
    codes = []
    for i in range(2):
        client = Client(
            HTTP_HOST=django_settings.BASE_DOMAIN, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=_ip()
        )
        codes.append(
            _submit(client, django_capture_on_commit_callbacks, slug=f"proksi-{i}").status_code
        )
    assert codes == [302, 302]


def test_honeypot_records_nothing(db, django_capture_on_commit_callbacks):
    response = _submit(_client(), django_capture_on_commit_callbacks, website="http://spam.example")
    assert response.status_code == 200
    assert SignupRequest.objects.count() == 0
    assert mail.outbox == []


def test_rate_limit_per_ip(db, settings, django_capture_on_commit_callbacks):
    settings.SIGNUP_RATE_LIMIT = (2, 3600)
    client = _client()
    codes = [
        _submit(client, django_capture_on_commit_callbacks, slug=f"batas-{i}").status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert _submit(_client(), django_capture_on_commit_callbacks, slug="batas-x").status_code == 302


# -------------------------------------------------------------- double submit, retries


def test_double_submitted_form_makes_one_request_and_one_tenant(
    db, eager_celery, django_capture_on_commit_callbacks
):
    client = _client()
    first = _submit(client, django_capture_on_commit_callbacks, slug="ganda")
    second = _submit(client, django_capture_on_commit_callbacks, slug="ganda")
    assert first["Location"] == second["Location"]
    assert SignupRequest.objects.filter(slug="ganda").count() == 1
    link = _verify_link("dewi@harapan.test")
    with django_capture_on_commit_callbacks(execute=True):
        press(client, link)
        client.post(link)
    signup = SignupRequest.objects.get(slug="ganda")
    signup_provision_task.apply(args=[signup.pk])  # a duplicate message
    assert Cooperative.objects.filter(slug="ganda").count() == 1
    signup.refresh_from_db()
    assert signup.status == SignupRequest.Status.READY and signup.attempts == 1


def test_database_allows_one_live_request_per_slug(db, django_capture_on_commit_callbacks):
    _submit(_client(), django_capture_on_commit_callbacks, slug="unik")
    row = SignupRequest.objects.get(slug="unik")
    row.pk, row.public_id, row.email = None, "other-public-id", "x@y.test"
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


# ---------------------------------------------------- the verification e-mail again


def test_submitting_the_form_again_while_pending_sends_a_fresh_link_that_works(
    db, django_capture_on_commit_callbacks
):
    client = _client()
    first = _submit(client, django_capture_on_commit_callbacks, slug="hilang")
    assert len(_mails_to(DEWI)) == 1
    # The e-mail is lost; ten minutes later Dewi fills in the form again.
    with _clock(timedelta(minutes=10)):
        again = _submit(client, django_capture_on_commit_callbacks, slug="hilang")
        page = client.get(again["Location"]).content.decode()
    sent = _mails_to(DEWI)
    assert len(sent) == 2, "no fresh verification e-mail"
    assert sent[1].subject == sent[0].subject and "3 jam" in sent[1].body
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert f"Tautan verifikasi telah dikirim ulang ke {DEWI}" in page
    assert SignupRequest.objects.filter(slug="hilang").count() == 1
    with _clock(timedelta(minutes=15)), django_capture_on_commit_callbacks(execute=False):
        verified = press(_client(), _verify_link(DEWI))
    assert verified.status_code == 302
    assert SignupRequest.objects.get(slug="hilang").status == SignupRequest.Status.QUEUED
    # Once verified there is nothing to send again.
    with _clock(timedelta(minutes=30)):
        _submit(client, django_capture_on_commit_callbacks, slug="hilang")
    assert len(_mails_to(DEWI)) == 2


def test_the_earlier_link_still_works_after_a_fresh_one_is_sent(
    db, django_capture_on_commit_callbacks
):
    client = _client()
    _submit(client, django_capture_on_commit_callbacks, slug="dua-tautan")
    earlier = _verify_link(DEWI)
    with _clock(timedelta(minutes=10)):
        _submit(client, django_capture_on_commit_callbacks, slug="dua-tautan")
        assert len(_mails_to(DEWI)) == 2
        with django_capture_on_commit_callbacks(execute=False):
            verified = press(_client(), earlier)
    assert verified.status_code == 302
    assert SignupRequest.objects.get(slug="dua-tautan").status == SignupRequest.Status.QUEUED


def test_a_link_sent_again_lasts_its_full_time_and_keeps_the_address(
    db, django_capture_on_commit_callbacks
):
    client = _client()
    _submit(client, django_capture_on_commit_callbacks, slug="tahan-lagi")
    with _clock(timedelta(hours=2, minutes=50)):
        _submit(client, django_capture_on_commit_callbacks, slug="tahan-lagi")
    assert len(_mails_to(DEWI)) == 2
    fresh = _verify_link(DEWI)
    # Past three hours from the first e-mail, but not from the one sent again.
    with _clock(timedelta(hours=3, minutes=30)):
        other = _submit(
            _client(), django_capture_on_commit_callbacks, slug="tahan-lagi", email="b@x.test"
        )
        with django_capture_on_commit_callbacks(execute=False):
            verified = press(_client(), fresh)
    assert other.status_code == 200 and "sudah dipakai" in other.content.decode()
    assert verified.status_code == 302
    signups = SignupRequest.objects.filter(slug="tahan-lagi")
    assert [s.status for s in signups] == [SignupRequest.Status.QUEUED]


def test_the_link_is_sent_again_at_most_once_every_five_minutes(
    db, django_capture_on_commit_callbacks
):
    client = _client()
    _submit(client, django_capture_on_commit_callbacks, slug="sabar")
    at_once = _submit(client, django_capture_on_commit_callbacks, slug="sabar")
    page = client.get(at_once["Location"]).content.decode()
    assert len(_mails_to(DEWI)) == 1
    assert "dapat dikirim ulang dalam 5 menit" in page
    with _clock(timedelta(minutes=5, seconds=1)):
        _submit(client, django_capture_on_commit_callbacks, slug="sabar")
    assert len(_mails_to(DEWI)) == 2
    with _clock(timedelta(minutes=8)):  # 2 min 1 s after the last one went out
        too_soon = _submit(client, django_capture_on_commit_callbacks, slug="sabar")
        page = client.get(too_soon["Location"]).content.decode()
    assert len(_mails_to(DEWI)) == 2
    assert "dapat dikirim ulang dalam 3 menit" in page


_calls = {"n": 0}


def flaky_seeder(*, cooperative):
    _calls["n"] += 1
    # Whatever the first attempt made is gone by the second: only this attempt's schema.
    assert Cooperative.objects.filter(slug=cooperative.slug).count() == 1
    if _calls["n"] == 1:
        raise RuntimeError("seeding failed on purpose")


def always_failing_seeder(*, cooperative):
    raise RuntimeError("seeding always fails")


def _verified(client, capture, slug, **over):
    _submit(client, capture, slug=slug, **over)
    signup = SignupRequest.objects.get(slug=slug)
    with capture(execute=False):  # verify without running the task
        signup_verify(
            token=signing.dumps({"id": signup.pk, "p": signup.public_id}, salt=VERIFY_SALT)
        )
    return signup


def test_failure_mid_way_leaves_nothing_and_the_retry_succeeds(
    db, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.TENANT_SEEDERS = [
        *settings.TENANT_SEEDERS,
        "tests.tenants.test_signup.flaky_seeder",
    ]
    settings.SIGNUP_RETRY_BACKOFF = 0
    _calls["n"] = 0
    signup = _verified(_client(), django_capture_on_commit_callbacks, "rapuh")
    with django_capture_on_commit_callbacks(execute=True):
        signup_provision_task.apply(args=[signup.pk])
    signup.refresh_from_db()
    assert _calls["n"] == 2
    assert signup.status == SignupRequest.Status.READY
    assert signup.attempts == 2
    assert Cooperative.objects.filter(slug="rapuh").count() == 1
    assert Domain.objects.filter(domain="rapuh.localhost").count() == 1


def test_after_the_last_retry_the_request_is_failed_and_nothing_is_orphaned(
    db, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.TENANT_SEEDERS = ["tests.tenants.test_signup.always_failing_seeder"]
    settings.SIGNUP_RETRY_BACKOFF = 0
    settings.SIGNUP_PROVISION_RETRIES = 2
    signup = _verified(_client(), django_capture_on_commit_callbacks, "gagal")
    result = signup_provision_task.apply(args=[signup.pk])
    assert result.get() == "failed"
    signup.refresh_from_db()
    assert signup.status == SignupRequest.Status.FAILED
    assert signup.attempts == 3
    assert "seeding always fails" in signup.last_error
    assert not Cooperative.objects.filter(slug="gagal").exists()
    assert not Domain.objects.filter(domain="gagal.localhost").exists()
    assert not _schema_exists("coop_gagal")
    page = _client().get(f"/daftar/status/{signup.public_id}/")
    assert "belum berhasil" in page.content.decode()


def test_provisioning_refuses_a_stale_template(
    db, settings, eager_celery, django_capture_on_commit_callbacks
):
    from tenants.schema_template import TEMPLATE_SCHEMA

    settings.SIGNUP_RETRY_BACKOFF = 0
    settings.SIGNUP_PROVISION_RETRIES = 0
    signup = _verified(_client(), django_capture_on_commit_callbacks, "basi")
    with connection.cursor() as cur:  # the template "misses" a migration (rolled back)
        cur.execute(
            f"DELETE FROM {TEMPLATE_SCHEMA}.django_migrations "
            "WHERE id = (SELECT max(id) FROM " + TEMPLATE_SCHEMA + ".django_migrations)"
        )
    assert signup_provision_task.apply(args=[signup.pk]).get() == "failed"
    signup.refresh_from_db()
    assert signup.last_error.startswith("template_stale")
    assert not Cooperative.objects.filter(slug="basi").exists()
    assert not _schema_exists("coop_basi")


def test_provisioning_an_unverified_request_is_refused(db, django_capture_on_commit_callbacks):
    from core.common.errors import ApplicationError

    _submit(_client(), django_capture_on_commit_callbacks, slug="belum")
    signup = SignupRequest.objects.get(slug="belum")
    with pytest.raises(ApplicationError):
        signup_provision(signup_id=signup.pk)
    assert not Cooperative.objects.filter(slug="belum").exists()


# --------------------------------------------------------------- helpers on the page


def test_slug_check_endpoint(db, tenant_a):
    client = _client()
    free = client.get("/daftar/cek-alamat/", {"slug": "bebas-sekali"}, HTTP_HX_REQUEST="true")
    assert 'data-available="yes"' in free.content.decode()
    assert "bebas-sekali.localhost" in free.content.decode()
    for slug in (tenant_a.slug, "admin", "-x"):
        taken = client.get("/daftar/cek-alamat/", {"slug": slug})
        assert 'data-available="no"' in taken.content.decode()


def test_regency_list_follows_the_province(db):
    client = _client()
    html = client.get("/daftar/kabupaten/", {"province": "Bali"}).content.decode()
    assert "Kota Denpasar" in html and "Kabupaten Badung" in html
    assert "Kota Surabaya" not in html
    assert (
        client.get("/daftar/kabupaten/", {"province": "Atlantis"}).content.decode().count("<option")
        == 1
    )


def test_login_token_is_refused_at_another_cooperatives_host(
    db, eager_celery, tenant_b, django_capture_on_commit_callbacks
):
    client = _client()
    response = _submit(client, django_capture_on_commit_callbacks, slug="silang")
    with django_capture_on_commit_callbacks(execute=True):
        press(client, _verify_link("dewi@harapan.test"))
    target = client.get(response["Location"])["Location"]
    path = target.split("silang.localhost:8000", 1)[1]
    other = Client(HTTP_HOST="beta.localhost")
    other.post(path)
    assert other.get("/api/v1/me/").status_code in (401, 403)
    signup = SignupRequest.objects.get(slug="silang")
    assert signup.login_used_at is None  # not spent by the failed attempt


def test_public_pages_switch_to_english(db):
    client = _client()
    client.cookies["django_language"] = "en"
    home = client.get("/").content.decode()
    assert "What Lumbung does for" in home
    assert "Yang dikerjakan Lumbung" not in home
    form = client.get("/daftar/").content.decode()
    assert '<html lang="en">' in form
    assert "Daftarkan koperasi Anda" not in form and "Kabupaten/kota" not in form
    indonesian = _client().get("/").content.decode()
    assert "Yang dikerjakan Lumbung untuk KPRI" in indonesian


def test_home_page_shows_billing_plans_when_there_are_some(db):
    try:
        from billing.selectors import plans_public
    except ImportError:
        pytest.skip("billing offers no plans_public()")
    plans = plans_public()
    home = _client().get("/").content.decode()
    if plans:
        assert "Paket dan harga" in home
        for plan in plans:
            assert plan.name in home
    else:
        assert "Paket dan harga" not in home


def test_operator_can_queue_a_failed_signup_again(
    db, settings, eager_celery, django_capture_on_commit_callbacks, capsys
):
    from django.core.management import call_command

    settings.TENANT_SEEDERS = ["tests.tenants.test_signup.always_failing_seeder"]
    settings.SIGNUP_PROVISION_RETRIES = 0
    signup = _verified(_client(), django_capture_on_commit_callbacks, "ulang")
    signup_provision_task.apply(args=[signup.pk])
    call_command("signup_retry")
    assert "seeding always fails" in capsys.readouterr().out
    settings.TENANT_SEEDERS = []
    with django_capture_on_commit_callbacks(execute=True):
        call_command("signup_retry", str(signup.pk))
    signup.refresh_from_db()
    assert signup.status == SignupRequest.Status.READY
    assert Cooperative.objects.filter(slug="ulang").count() == 1


def _failed(client, capture, slug):
    signup = _verified(client, capture, slug)
    SignupRequest.objects.filter(pk=signup.pk).update(
        status=SignupRequest.Status.FAILED, last_error="RuntimeError: seeding failed"
    )
    return signup


def test_retry_command_names_a_signup_whose_address_a_newer_one_holds_and_goes_on(
    db, django_capture_on_commit_callbacks, capsys
):
    from django.core.management import CommandError, call_command

    stuck = _failed(_client(), django_capture_on_commit_callbacks, "ulang-lagi")
    # Dewi does not wait for the operators: she signs up again, same address and e-mail.
    _submit(_client(), django_capture_on_commit_callbacks, slug="ulang-lagi")
    newer = SignupRequest.objects.get(slug="ulang-lagi", status=SignupRequest.Status.PENDING)
    other = _failed(_client(), django_capture_on_commit_callbacks, "ulang-lain")

    with (
        pytest.raises(CommandError) as refused,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        call_command("signup_retry", str(stuck.pk), str(other.pk))

    out, err = capsys.readouterr()
    assert f"#{stuck.pk}" in err and "ulang-lagi" in err
    assert f"#{newer.pk}" in err and "Menunggu verifikasi e-mail" in err  # why: who holds it
    assert str(stuck.pk) in str(refused.value) and str(other.pk) not in str(refused.value)
    assert f"queued {other.pk} (ulang-lain) again" in out  # the next id was still retried
    stuck.refresh_from_db()
    other.refresh_from_db()
    newer.refresh_from_db()
    assert stuck.status == SignupRequest.Status.FAILED
    assert newer.status == SignupRequest.Status.PENDING
    assert other.status == SignupRequest.Status.QUEUED
    assert len(callbacks) == 1  # one provisioning task, for the other sign-up only


def test_retry_expires_a_newer_signup_whose_hold_on_the_address_has_lapsed(
    db, django_capture_on_commit_callbacks
):
    from tenants.signup import signup_retry

    stuck = _failed(_client(), django_capture_on_commit_callbacks, "ulang-basi")
    _submit(_client(), django_capture_on_commit_callbacks, slug="ulang-basi")
    newer = SignupRequest.objects.get(slug="ulang-basi", status=SignupRequest.Status.PENDING)
    _age(SignupRequest.objects.filter(pk=newer.pk), timedelta(hours=4))  # never verified
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        signup_retry(signup=stuck, actor="tests")
    stuck.refresh_from_db()
    newer.refresh_from_db()
    assert stuck.status == SignupRequest.Status.QUEUED and len(callbacks) == 1
    assert newer.status == SignupRequest.Status.EXPIRED


def test_with_a_broker_a_stale_template_is_waited_for_not_failed(
    db, django_capture_on_commit_callbacks
):
    from celery.exceptions import Retry

    from tenants.schema_template import TEMPLATE_SCHEMA

    signup = _verified(_client(), django_capture_on_commit_callbacks, "tunggu")
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TEMPLATE_SCHEMA}.django_migrations WHERE app = 'tenants'")
    signup_provision_task.push_request(retries=0, is_eager=False)
    try:
        with (
            mock.patch.object(signup_provision_task, "retry", side_effect=Retry("wait")) as retry,
            pytest.raises(Retry),
        ):
            signup_provision_task.run(signup.pk)
    finally:
        signup_provision_task.pop_request()
    assert retry.call_args.kwargs["countdown"] == 30
    signup.refresh_from_db()
    assert signup.status == SignupRequest.Status.PROVISIONING
    assert signup.last_error.startswith("template_stale")
    assert not Cooperative.objects.filter(slug="tunggu").exists()


def test_a_cooperative_already_in_lumbung_cannot_sign_up_again(
    db, tenant_a, django_capture_on_commit_callbacks
):
    """Its legal number is one cooperative: a second sign-up under another address (the
    first one forgotten, or a colleague's) made a second space and a second bill for
    it, the operator's list showing the same name twice."""
    Cooperative.objects.filter(pk=tenant_a.pk).update(legal_number="123/BH/XVIII.4/2020")
    response = _submit(
        _client(),
        django_capture_on_commit_callbacks,
        slug="harapan-dua",
        legal_number=" 123/bh/XVIII.4/2020 ",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nomor badan hukum ini sudah terdaftar di Lumbung" in html
    assert tenant_a.slug not in html  # whose it is, is not said to anyone who types it
    assert not SignupRequest.objects.filter(slug="harapan-dua").exists()
    assert _mails_to(DEWI) == []


def test_two_sign_ups_with_one_legal_number_make_one_cooperative(
    db, django_capture_on_commit_callbacks
):
    """Both sent before either was made (the form's check saw no cooperative), both
    queued (verification refuses the second now, tests/tenants/
    test_signup_legal_number_verify.py; this one was queued past it, e.g. before that
    check or by an operator's retry): provisioning checks the number again, under a
    lock, and the second sign-up fails for good saying why on its status page (two
    spaces and two bills were made)."""
    capture = django_capture_on_commit_callbacks
    first = _verified(_client(), capture, "harapan")
    client = _client()
    _submit(client, capture, slug="harapan-dua", email="rina@harapan.test")
    second = SignupRequest.objects.get(slug="harapan-dua")
    SignupRequest.objects.filter(pk=second.pk).update(status=SignupRequest.Status.QUEUED)
    assert second.legal_number == first.legal_number
    assert signup_provision_task.apply(args=[first.pk]).get() == "ready"
    assert signup_provision_task.apply(args=[second.pk]).get() == "failed"
    second.refresh_from_db()
    assert second.status == SignupRequest.Status.FAILED
    assert second.last_error.startswith("legal_number_taken")
    assert list(
        Cooperative.objects.filter(legal_number__iexact=first.legal_number).values_list(
            "slug", flat=True
        )
    ) == ["harapan"]
    assert not _schema_exists("coop_harapan_dua")
    html = client.get(f"/daftar/status/{second.public_id}/").content.decode()
    assert "Nomor badan hukum ini sudah terdaftar di Lumbung" in html
    assert "akan menghubungi Anda" not in html


def test_operator_creation_refuses_a_legal_number_another_cooperative_has(db, tenant_a):
    from tenants.services import cooperative_create

    Cooperative.objects.filter(pk=tenant_a.pk).update(legal_number="123/BH/XVIII.4/2020")
    with pytest.raises(ApplicationError) as err:
        cooperative_create(
            slug="kembar",
            name="KPRI Kembar",
            admin_email="a@kembar.test",
            legal_number="123/bh/xviii.4/2020",
        )
    assert err.value.code == "legal_number_taken"
    assert not Cooperative.objects.filter(slug="kembar").exists()
    assert not _schema_exists("coop_kembar")
