"""A domain added in the console under Lumbung's own domain (``<label>.<BASE_DOMAIN>``)
is a cooperative address like a sign-up's: the label must be an address sign-up would
accept (not reserved such as ``konsol``/``admin``, not another cooperative's practice
address ``<slug>-latihan``, one label only). A practice copy gets no extra domain."""

import pytest
from django.conf import settings

from core.audit.models import AuditEvent
from tenants.models import Cooperative, Domain

pytestmark = pytest.mark.django_db
REASON = "Permintaan tertulis ketua koperasi no. 12/2026"


def post(client, coop, domain):
    return client.post(
        f"/konsol/koperasi/{coop.pk}/add_domain/",
        {"reason": REASON, "confirm": "on", "domain": domain},
    )


@pytest.mark.parametrize(
    "label,message",
    [
        ("konsol", "tidak boleh dipakai"),
        ("admin", "tidak boleh dipakai"),
        ("api-v2", "tidak boleh dipakai"),
        ("{other}-latihan", "tidak boleh dipakai"),
        ("xn--80ak6aa92e", "tidak boleh dipakai"),
        ("a.b", "Alamat harus 3–40 karakter"),
    ],
)
def test_an_address_under_lumbungs_domain_follows_the_signup_rules(
    op_clients, tenant_a, tenant_b, label, message
):
    domain = f"{label.format(other=tenant_b.slug)}.{settings.BASE_DOMAIN}"
    resp = post(op_clients["admin"], tenant_a, domain)
    assert resp.status_code == 200
    assert message in resp.content.decode()
    assert not Domain.objects.filter(domain=domain).exists()
    assert not AuditEvent.objects.filter(action="console.domain_added").exists()


def test_a_free_address_under_lumbungs_domain_is_still_accepted(op_clients, tenant_a):
    domain = f"kpri-alpha-lama.{settings.BASE_DOMAIN}"
    resp = post(op_clients["admin"], tenant_a, domain)
    assert resp.status_code == 302
    assert Domain.objects.get(domain=domain).tenant_id == tenant_a.pk


def test_a_practice_copy_gets_no_extra_domain(op_clients, tenant_b):
    practice = Cooperative(
        slug=f"{tenant_b.slug}-latihan",
        name="B (LATIHAN)",
        schema_name="coop_tidak_dibuat",
        status=Cooperative.Status.ACTIVE,
        is_practice=True,
        practice_of=tenant_b,
    )
    practice.auto_create_schema = False
    practice.save()
    resp = post(op_clients["admin"], practice, "latihan.contoh.id")
    assert resp.status_code == 200
    assert "ruang latihan" in resp.content.decode()
    assert not Domain.objects.filter(domain="latihan.contoh.id").exists()
