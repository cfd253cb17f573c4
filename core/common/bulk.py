"""Set-based writes for batch services.

Django's ``QuerySet.bulk_update`` builds one ``CASE WHEN pk = … THEN …`` expression per
row and field; for thousands of rows building that SQL costs seconds of Python. This does
the same update as one ``UPDATE … FROM UNNEST(<one array per column>)`` per chunk: the values go through each
field's ``get_db_prep_save`` (as ``save()`` would), the statement fires the table's row
triggers and checks its constraints like any UPDATE. ``auto_now`` fields are NOT touched:
set them on the objects and list them, as with ``bulk_update``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import NOT_PROVIDED


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
    names = ", ".join(qn(c.column) for c in all_cols)
    sets = ", ".join(f"{qn(c.column)} = v.{qn(c.column)}" for c in cols)
    table = qn(meta.db_table)
    # one array parameter per column: psycopg2 adapts a list in C, far cheaper than one
    # placeholder per value; UNNEST zips the arrays back into rows
    arrays = ", ".join(f"%s::{t}[]" for t in casts)
    sql = (
        f"UPDATE {table} AS t SET {sets} FROM UNNEST({arrays}) AS v({names}) "
        f"WHERE t.{qn(pk.column)} = v.{qn(pk.column)}"
    )
    preps = [(c.attname, c.get_db_prep_save) for c in cols]
    pk_prep = pk.get_db_prep_save
    done = 0
    with connection.cursor() as cur:
        for i in range(0, len(objs), batch_size):
            chunk = objs[i : i + batch_size]
            params: list = [[pk_prep(o.pk, connection) for o in chunk]]
            for attname, prep in preps:
                params.append([prep(getattr(o, attname), connection) for o in chunk])
            cur.execute(sql, params)
            done += cur.rowcount
    return done


def bulk_insert_values(model, objs: Sequence, *, batch_size=2000) -> None:
    """``INSERT`` ``objs`` (unsaved instances of ``model``, auto primary key) with one
    ``INSERT … SELECT * FROM UNNEST(<one array per column>) RETURNING pk`` per chunk, and
    set each object's pk, as ``bulk_create`` does on PostgreSQL but without its per-value
    compiler work. Every concrete field is written: ``pre_save(add=True)`` (``auto_now_add``)
    then ``get_db_prep_save``, as ``save()`` would; defaults were set when the objects were
    built. Triggers and constraints fire as for any INSERT."""
    if not objs:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    pk = meta.pk
    if not pk.auto_created and pk.get_internal_type() not in ("AutoField", "BigAutoField"):
        raise ValueError("bulk_insert_values: only models with an auto primary key")
    if any(o.pk is not None for o in objs):
        raise ValueError("bulk_insert_values: objects already saved")
    cols = [f for f in meta.concrete_fields if f is not pk]
    if any(getattr(f, "db_default", None) is not NOT_PROVIDED for f in cols):
        raise ValueError("bulk_insert_values: db_default fields are not supported")
    names = ", ".join(qn(c.column) for c in cols)
    arrays = ", ".join(f"%s::{c.db_type(connection)}[]" for c in cols)
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({names}) SELECT * FROM UNNEST({arrays}) "
        f"RETURNING {qn(pk.column)}"
    )
    db = connection.alias
    with connection.cursor() as cur:
        for i in range(0, len(objs), batch_size):
            chunk = objs[i : i + batch_size]
            params = [
                [c.get_db_prep_save(c.pre_save(o, True), connection) for o in chunk] for c in cols
            ]
            cur.execute(sql, params)
            for o, (new_pk,) in zip(chunk, cur.fetchall(), strict=True):
                o.pk = new_pk
                o._state.adding = False
                o._state.db = db
