from django.conf import settings
from django.db import connection

from .nav import nav_for


def platform(request):
    is_public = getattr(connection, "schema_name", "public") == "public"
    return {
        "nav": [] if is_public else nav_for(request),
        "tenant": getattr(request, "tenant", None),
        "is_public_site": is_public,
        # a practice copy of a cooperative (tenants.practice): the LATIHAN banner
        "is_practice": bool(getattr(getattr(request, "tenant", None), "is_practice", False)),
        "BASE_DOMAIN": settings.BASE_DOMAIN,
    }
