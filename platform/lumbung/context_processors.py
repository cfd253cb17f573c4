from django.conf import settings
from django.db import connection


def platform(request):
    tenant = getattr(request, "tenant", None)
    return {
        "tenant": tenant,
        "is_public_site": getattr(connection, "schema_name", "public") == "public",
        "BASE_DOMAIN": settings.BASE_DOMAIN,
    }
