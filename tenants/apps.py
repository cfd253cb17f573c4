from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # in ready(): these import models, which need the app registry loaded
        from django_tenants.signals import schema_migrated

        from . import checks as tenant_checks
        from . import host_cache
        from .models import Cooperative, Domain
        from .schema_template import refresh_after_public_migrate

        # Keep the template schema in step: rebuilt after migrate_schemas migrates public.
        schema_migrated.connect(refresh_after_public_migrate, dispatch_uid="tenants.template")
        checks.register(tenant_checks.template_schema_check, checks.Tags.database)
        # The cached host → cooperative lookups follow every change of a domain or a
        # cooperative's row (status: a suspension applies on the next request).
        pre_save.connect(host_cache.domain_pre_save, sender=Domain, dispatch_uid="hc.d0")
        post_save.connect(host_cache.domain_changed, sender=Domain, dispatch_uid="hc.d1")
        post_delete.connect(host_cache.domain_changed, sender=Domain, dispatch_uid="hc.d2")
        post_save.connect(host_cache.cooperative_changed, sender=Cooperative, dispatch_uid="hc.c1")
        pre_delete.connect(host_cache.cooperative_changed, sender=Cooperative, dispatch_uid="hc.c2")
