"""`manage.py public_tenant_ensure` (the last step of the deploy `migrate`): the public
tenant and the apex domain exist afterwards, running it again changes nothing, and an
apex already given to a cooperative is reported, not stolen."""

from io import StringIO

from django.core.management import call_command

from tenants.models import Cooperative, Domain


def _run() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("public_tenant_ensure", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_creates_the_apex_once_then_changes_nothing(db, settings):
    settings.BASE_DOMAIN = "lumbung-apex.test"
    out, _ = _run()
    assert out.strip() == "Public site at lumbung-apex.test: created"
    domain = Domain.objects.get(domain="lumbung-apex.test")
    assert domain.tenant.schema_name == "public"
    counts = (Cooperative.objects.count(), Domain.objects.count())
    out, _ = _run()
    assert out.strip() == "Public site at lumbung-apex.test: already there"
    assert (Cooperative.objects.count(), Domain.objects.count()) == counts


def test_an_apex_that_belongs_to_a_cooperative_is_reported(db, settings, tenant_a):
    settings.BASE_DOMAIN = tenant_a.domains.first().domain
    out, err = _run()
    assert out == ""
    assert f"belongs to the cooperative {tenant_a.slug!r}" in err
    assert Domain.objects.get(domain=settings.BASE_DOMAIN).tenant_id == tenant_a.pk
