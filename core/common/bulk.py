"""Set-based writes for batch services.

Django's ``QuerySet.bulk_update`` builds one ``CASE WHEN pk = … THEN …`` expression per
row and field; for thousands of rows building that SQL costs seconds of Python. This does
the same update as one ``UPDATE … FROM (VALUES …)`` per chunk: the values go through each
field's ``get_db_prep_save`` (as ``save()`` would), the statement fires the table's row
triggers and checks its constraints like any UPDATE. ``auto_now`` fields are NOT touched:
set them on the objects and list them, as with ``bulk_update``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def bulk_update_values(model, objs: Sequence, fields: Sequence[str], *, batch_size=2000) -> int:
    """``UPDATE <table> SET <fields> = <values of objs>`` matched by primary key. Returns
    the number of rows updated."""
    if not objs:
        return 0
    if len({o.pk for o in objs}) != len(objs):
        raise ValueError("bulk_update_values: the same row twice")
    meta = model._meta
    qn = connection.ops.quote_name
    pk = meta.pk
    cols = [meta.get_field(f) for f in fields]
    if any(c.primary_key or not c.concrete for c in cols):
        raise ValueError("bulk_update_values: only concrete non-pk fields")
    all_cols = [pk, *cols]
    casts = [c.db_type(connection) for c in all_cols]
    row_sql = "(" + ", ".join(f"%s::{t}" for t in casts) + ")"
    names = ", ".join(qn(c.column) for c in all_cols)
    sets = ", ".join(f"{qn(c.column)} = v.{qn(c.column)}" for c in cols)
    table = qn(meta.db_table)
    done = 0
    with connection.cursor() as cur:
        for i in range(0, len(objs), batch_size):
            chunk = objs[i : i + batch_size]
            params: list = []
            for o in chunk:
                params.append(pk.get_db_prep_save(o.pk, connection))
                params.extend(c.get_db_prep_save(getattr(o, c.attname), connection) for c in cols)
            cur.execute(
                f"UPDATE {table} AS t SET {sets} FROM (VALUES "
                + ", ".join([row_sql] * len(chunk))
                + f") AS v({names}) WHERE t.{qn(pk.column)} = v.{qn(pk.column)}",
                params,
            )
            done += cur.rowcount
    return done
