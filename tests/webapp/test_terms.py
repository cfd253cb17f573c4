"""The terms of use in versions (lumbung.terms): the page says which version is in force
and since when, names a later one registered and links to it; the sign-up says which
version it asks to accept and records it."""

import pytest
from django.utils import timezone

from core.common.dates import format_date
from core.users.models import User
from lumbung.terms import terms_in_force
from tenants.models import SignupRequest, TermsAnnouncement
from tests.tenants.signup_helpers import signup_client, signup_form
from tests.terms_versions import register_terms_version

pytestmark = pytest.mark.django_db


def _text(resp) -> str:
    return " ".join(resp.content.decode().split())


def test_terms_page_names_the_version_in_force_and_since_when(client_public):
    first = terms_in_force()
    page = _text(client_public.get("/syarat-dan-ketentuan/"))
    assert f"Versi {first.id} · Berlaku sejak {format_date(first.effective_on)}" in page
    assert "Versi baru" not in page


def test_terms_page_announces_a_later_version_and_links_to_it(client_public, monkeypatch):
    first = terms_in_force()
    later = register_terms_version(monkeypatch, days=45)
    page = _text(client_public.get("/syarat-dan-ketentuan/"))
    # today's page is still the version in force, and says what comes and when
    assert f"Versi {first.id} · Berlaku sejak" in page
    assert f"Versi baru {later.id} berlaku mulai {format_date(later.effective_on)}." in page
    assert f'href="/syarat-dan-ketentuan/{later.id}/"' in page
    upcoming = _text(client_public.get(f"/syarat-dan-ketentuan/{later.id}/"))
    assert f"Versi {later.id} · Berlaku mulai {format_date(later.effective_on)}" in upcoming
    assert "Versi ini belum berlaku." in upcoming
    assert 'href="/syarat-dan-ketentuan/"' in upcoming


def test_terms_page_of_an_unknown_version_is_404(client_public):
    assert client_public.get("/syarat-dan-ketentuan/2001-01-01/").status_code == 404
    first = terms_in_force()
    assert client_public.get(f"/syarat-dan-ketentuan/{first.id}/").status_code == 200


def test_terms_page_in_english_names_the_version(client_public):
    client_public.cookies["django_language"] = "en"
    page = _text(client_public.get("/syarat-dan-ketentuan/"))
    assert f"Version {terms_in_force().id} · In force since" in page


# -- the sign-up: which version it asks to accept, and records ---------------------------


def _signup_form(**over) -> dict:
    return signup_form(
        **{
            "name": "KPRI Syarat Jelas",
            "slug": "syarat-jelas",
            "legal_number": "321/BH/XVIII.4/2021",
            "legal_date": "2021-05-10",
            "nik_koperasi": "",
            "member_count": "120",
            "contact_name": "Sari Wulan",
            "email": "sari@syarat-jelas.test",
            "phone": "0812-3456-7891",
            **over,
        }
    )


def test_signup_form_names_the_version_it_asks_to_accept(client_public):
    first = terms_in_force()
    form = _text(client_public.get("/daftar/"))
    assert (
        'Saya menyetujui <a href="/syarat-dan-ketentuan/" target="_blank" '
        f'rel="noopener">syarat dan ketentuan Lumbung</a> versi {first.id} '
        f"(berlaku sejak {format_date(first.effective_on)})"
    ) in form
    assert f'name="terms_version" value="{first.id}"' in form
    assert "Versi baru" not in form


def test_signup_form_names_a_later_version_once_announced(client_public, monkeypatch):
    later = register_terms_version(monkeypatch, days=45)
    # registered, not announced: the form does not mention it yet
    assert "Versi baru" not in _text(client_public.get("/daftar/"))
    operator = User.objects.create_user(username="op@ops.test", operator_role="admin")
    TermsAnnouncement.objects.create(
        version=later.id,
        effective_on=later.effective_on,
        summary="Biaya paket berubah.",
        announced_by=operator,
        announced_on=timezone.localdate(),
    )
    form = _text(client_public.get("/daftar/"))
    assert (
        f"Versi baru {later.id} berlaku mulai {format_date(later.effective_on)}, juga bagi "
        "koperasi yang mendaftar sekarang."
    ) in form
    assert f'href="/syarat-dan-ketentuan/{later.id}/"' in form


def test_signup_records_the_version_of_the_terms_accepted(client_public):
    first = terms_in_force()
    resp = signup_client().post("/daftar/", _signup_form(terms_version=first.id))
    assert resp.status_code == 302, _text(resp)
    signup = SignupRequest.objects.get(slug="syarat-jelas")
    assert signup.terms_version == first.id and signup.terms_accepted_at is not None


def test_signup_from_a_form_older_than_the_terms_in_force_is_refused(monkeypatch):
    first = terms_in_force()
    newer = register_terms_version(monkeypatch, days=-1)  # in force since yesterday
    resp = signup_client().post("/daftar/", _signup_form(terms_version=first.id))
    page = _text(resp)
    assert resp.status_code == 200
    assert f"Syarat dan ketentuan berganti ke versi {newer.id} sejak formulir ini dibuka" in page
    # shown again with the version in force, to accept that one
    assert f'name="terms_version" value="{newer.id}"' in page
    assert not SignupRequest.objects.filter(slug="syarat-jelas").exists()
    resp = signup_client().post("/daftar/", _signup_form(terms_version=newer.id))
    assert resp.status_code == 302
    assert SignupRequest.objects.get(slug="syarat-jelas").terms_version == newer.id
