"""An address (slug, the cooperative's subdomain) already taken is a conflict with the
cooperative or sign-up that has it (409, ``slug_taken``), on every path that refuses it,
as a taken legal number or NIK koperasi (tests/tenants/test_identifier_taken_status.py):
the sign-up's early check (the form, ``signup_submit`` for any other caller), the final
one when a concurrent sign-up won the address, ``cooperative_create`` and
``cooperative_restore``. Everywhere the same Indonesian message. An address that does
not look like one (or a reserved word) stays a malformed request (400). The HTML form
shows the refusal under its field on the form page, whatever the error's status; the
live check (``/daftar/cek-alamat/``) is a check, not a refusal: a 200 fragment saying
the address is taken."""

import gzip
import json
import re

import pytest
from rest_framework.views import APIView

from core.common.errors import ApplicationError
from tenants import signup as signup_module
from tenants.backup import MAGIC, cooperative_restore
from tenants.models import Cooperative, Domain, SignupRequest
from tenants.services import cooperative_create, tenant_host
from tenants.signup import signup_submit, slug_availability
from tests.tenants.test_signup_identity import _client, _data, _post

pytestmark = pytest.mark.django_db

FIELD_TAKEN = "Alamat sudah dipakai."


def _taken(slug: str) -> str:
    return f"Alamat '{slug}' sudah dipakai."


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def _assert_slug_taken(err: ApplicationError, slug: str) -> None:
    assert (err.code, err.status_code) == ("slug_taken", 409)
    assert err.message == _taken(slug)
    assert err.fields == {"slug": [FIELD_TAKEN]}


def test_the_early_check_is_a_409(tenant_a):
    problem = slug_availability(tenant_a.slug)
    assert problem is not None
    _assert_slug_taken(problem, tenant_a.slug)


def test_signup_submit_answers_409_for_an_address_a_cooperative_has(tenant_a):
    with pytest.raises(ApplicationError) as refused:
        signup_submit(data=_data(slug=tenant_a.slug))
    _assert_slug_taken(refused.value, tenant_a.slug)
    assert SignupRequest.objects.count() == 0


def test_signup_submit_answers_409_when_a_concurrent_signup_won_the_address(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    """The final check: the early one passed, another person's sign-up for the address
    was saved meanwhile (the unique index refuses the second row)."""
    with django_capture_on_commit_callbacks(execute=False):
        signup_submit(data=_data(slug="rebutan", email="satu@rebutan.test"))
    monkeypatch.setattr(signup_module, "slug_availability", lambda slug, **kw: None)
    with pytest.raises(ApplicationError) as refused:
        signup_submit(data=_data(slug="rebutan", email="dua@rebutan.test"))
    _assert_slug_taken(refused.value, "rebutan")
    assert list(SignupRequest.objects.values_list("email", flat=True)) == ["satu@rebutan.test"]


def test_cooperative_create_answers_409_for_an_address_served_as_a_domain(tenant_a):
    Domain.objects.create(domain=tenant_host("kpri-lama"), tenant=tenant_a, is_primary=False)
    with pytest.raises(ApplicationError) as refused:
        cooperative_create(slug="kpri-lama", name="KPRI Baru", admin_email="a@baru.test")
    _assert_slug_taken(refused.value, "kpri-lama")
    assert not Cooperative.objects.filter(slug="kpri-lama").exists()


def test_restore_answers_409_for_an_address_a_cooperative_has(tenant_a, tmp_path):
    meta = {"format": 1, "schema": "coop_asal", "counts": {}, "migrations": []}
    path = tmp_path / "b.sql.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(MAGIC + json.dumps(meta) + "\n")
    before = Cooperative.objects.count()
    with pytest.raises(ApplicationError) as refused:
        cooperative_restore(path=str(path), slug=tenant_a.slug)
    _assert_slug_taken(refused.value, tenant_a.slug)
    assert Cooperative.objects.count() == before


def test_an_api_answers_a_taken_address_as_the_json_409(tenant_a):
    with pytest.raises(ApplicationError) as refused:
        signup_submit(data=_data(slug=tenant_a.slug))
    handler = APIView().get_exception_handler()  # the project's one handler
    response = handler(refused.value, {})
    assert response.status_code == 409
    assert response.data == {
        "error": {
            "code": "slug_taken",
            "message": _taken(tenant_a.slug),
            "fields": {"slug": [FIELD_TAKEN]},
        }
    }


@pytest.mark.parametrize(
    ("slug", "code"), [("Bukan Alamat!", "slug_invalid"), ("www", "slug_reserved")]
)
def test_a_malformed_or_reserved_address_stays_a_400(db, slug, code):
    problem = slug_availability(slug)
    assert problem is not None
    assert (problem.code, problem.status_code) == (code, 400)


def test_the_form_page_shows_the_refusal_under_the_address_field(
    tenant_a, django_capture_on_commit_callbacks
):
    response = _post(django_capture_on_commit_callbacks, slug=tenant_a.slug)
    assert response.status_code == 200  # the form page again, not a JSON error
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    shown = re.search(
        r'id="slug-status"[^>]*></div>\s*<ul class="errorlist">(.*?)</ul>', page, re.S
    )
    assert shown is not None, "no error shown under the address"
    assert re.findall(r"<li>(.*?)</li>", shown.group(1)) == [FIELD_TAKEN]
    assert SignupRequest.objects.count() == 0


def test_the_live_check_answers_taken_as_a_200_fragment(tenant_a):
    response = _client().get("/daftar/cek-alamat/", {"slug": tenant_a.slug})
    assert response.status_code == 200
    page = response.content.decode().replace("&#x27;", "'")
    assert f'data-available="no">{_taken(tenant_a.slug)}</span>' in page
