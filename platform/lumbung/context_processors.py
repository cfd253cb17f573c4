from django.conf import settings
from django.db import connection

from core.common.permissions import STAFF

from .nav import nav_for


def platform(request):
    is_public = getattr(connection, "schema_name", "public") == "public"
    user = getattr(request, "user", None)
    return {
        # the search box in the top bar: staff of a cooperative only (members never
        # search other members)
        "search_box": not is_public
        and bool(user and user.is_authenticated and getattr(user, "role", "") in STAFF),
        "nav": [] if is_public else nav_for(request),
        "tenant": getattr(request, "tenant", None),
        "is_public_site": is_public,
        # a practice copy of a cooperative (tenants.practice): the LATIHAN banner
        "is_practice": bool(getattr(getattr(request, "tenant", None), "is_practice", False)),
        "BASE_DOMAIN": settings.BASE_DOMAIN,
    }
