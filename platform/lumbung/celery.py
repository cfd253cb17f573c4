"""The Celery app. Tasks posted from a tenant context run in that tenant's schema
(tenant-schemas-celery adds the schema name to each message)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lumbung.settings")

app = CeleryApp("lumbung")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
