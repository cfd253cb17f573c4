"""Several yes/no questions to the database in one round trip."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.db import connections
from django.db.models import QuerySet


def exists_each_sql(*querysets: QuerySet) -> tuple[str, list]:
    """The SQL and parameters of ``exists_each`` (``SELECT EXISTS(…), EXISTS(…)``)."""
    parts, params = [], []
    for qs in querysets:
        sql, qs_params = qs.values("pk").query.sql_with_params()
        parts.append(f"EXISTS({sql})")
        params.extend(qs_params)
    return "SELECT " + ", ".join(parts), params


def exists_each(*querysets: QuerySet) -> list[bool]:
    """``[qs.exists() for qs in querysets]`` in ONE query (``SELECT EXISTS(…), EXISTS(…)``):
    each queryset's own SQL, compiled by Django with its filters and parameters. A sliced
    queryset keeps its slice (``qs[1:2]``: "more than one row")."""
    if not querysets:
        return []
    sql, params = exists_each_sql(*querysets)
    return _run(querysets[0].db, sql, params)


def exists_each_fixed(querysets: Callable[[], tuple[QuerySet, ...]]) -> list[bool]:
    """``exists_each(*querysets())`` for questions that never change: querysets with
    constant filters only (no date, user or other value of the request), whose table
    names are unqualified, so the same SQL answers in every cooperative's schema. Django
    compiles them once per process; each call only runs the query."""
    using, sql, params = _compiled(querysets)
    return _run(using, sql, params)


@cache
def _compiled(querysets: Callable[[], tuple[QuerySet, ...]]) -> tuple[str, str, tuple]:
    qs = querysets()
    sql, params = exists_each_sql(*qs)
    return qs[0].db, sql, tuple(params)


def _run(using: str, sql: str, params) -> list[bool]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(params))
        return [bool(v) for v in cursor.fetchone()]
