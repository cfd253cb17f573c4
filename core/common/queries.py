"""Several yes/no questions to the database in one round trip."""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet


def exists_each(*querysets: QuerySet) -> list[bool]:
    """``[qs.exists() for qs in querysets]`` in ONE query (``SELECT EXISTS(…), EXISTS(…)``):
    each queryset's own SQL, compiled by Django with its filters and parameters. A sliced
    queryset keeps its slice (``qs[1:2]``: "more than one row")."""
    if not querysets:
        return []
    parts, params = [], []
    for qs in querysets:
        sql, qs_params = qs.values("pk").query.sql_with_params()
        parts.append(f"EXISTS({sql})")
        params.extend(qs_params)
    using = querysets[0].db
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [bool(v) for v in cursor.fetchone()]
