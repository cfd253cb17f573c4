from django.conf import settings
from django.core.management.base import BaseCommand

from tenants.models import Domain
from tenants.services import public_tenant_ensure


class Command(BaseCommand):
    help = (
        "Make sure the public tenant and the apex domain (BASE_DOMAIN) exist, so the apex "
        "serves the public site (sign-up, operator console). Idempotent; part of the deploy "
        "`migrate` step."
    )

    def handle(self, *args, **opts):
        existed = Domain.objects.filter(domain=settings.BASE_DOMAIN).exists()
        public = public_tenant_ensure()
        domain = Domain.objects.get(domain=settings.BASE_DOMAIN)
        if domain.tenant_id != public.pk:
            self.stderr.write(
                self.style.WARNING(
                    f"{settings.BASE_DOMAIN} belongs to the cooperative {domain.tenant.slug!r}, "
                    "not to the public site: change BASE_DOMAIN or that cooperative's domain."
                )
            )
            return
        what = "already there" if existed else "created"
        self.stdout.write(f"Public site at {settings.BASE_DOMAIN}: {what}")
