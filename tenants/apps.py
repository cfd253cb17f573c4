from django.apps import AppConfig
from django.core import checks


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # in ready(): these import models, which need the app registry loaded
        from django_tenants.signals import schema_migrated

        from . import checks as tenant_checks
        from .schema_template import refresh_after_public_migrate

        # Keep the template schema in step: rebuilt after migrate_schemas migrates public.
        schema_migrated.connect(refresh_after_public_migrate, dispatch_uid="tenants.template")
        checks.register(tenant_checks.template_schema_check, checks.Tags.database)
