"""django-tenants' PostgreSQL backend, made safe behind PgBouncer in transaction mode.

django-tenants sets the cooperative's schema with a session-level ``SET search_path`` once
per cursor. Behind a pooler in *transaction* mode consecutive transactions (and, in
autocommit, consecutive statements) of one client may run on different server
connections, so a statement can run with the path another client set: one cooperative
reads or writes another's rows. (django-tenants issues #545 and #1112.)

With ``POOL_MODE = "transaction"`` in the database settings (``DB_POOL_MODE=transaction``)
this backend never sets a session-level path. Instead every statement carries its own:

- inside a transaction (``atomic``), the first statement is preceded by
  ``SET LOCAL search_path = …``, which lasts until that transaction ends, and the pooler
  keeps a transaction on one server connection; the path is set again if the schema is
  switched inside the transaction, and after ``ROLLBACK TO SAVEPOINT`` (which undoes it);
- in autocommit, ``SET LOCAL search_path = …;`` is sent in the same query string as the
  statement: a multi-statement simple query is one implicit transaction, so the path
  applies to that statement only and nothing is left on the server connection;
- ``COPY`` (``copy_expert``/``copy_from``/``copy_to``) in autocommit is wrapped in an
  explicit ``BEGIN … COMMIT`` with the ``SET LOCAL``;
- server-side (named) cursors are refused: ``DISABLE_SERVER_SIDE_CURSORS`` is set with
  this mode, so ``QuerySet.iterator()`` reads client-side;
- psycopg2 sends no server-side prepared statements (it interpolates parameters on the
  client), so there is none whose plan could be bound to another schema.

Any other ``POOL_MODE`` (the default, ``session``) behaves exactly as django-tenants.
"""

from __future__ import annotations

import psycopg2
import psycopg2.extensions
import psycopg2.sql
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.asyncio import async_unsafe
from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import quote_schema_name

TRANSACTION = "transaction"


class PathSettingCursor(psycopg2.extensions.cursor):
    """A psycopg2 cursor that gives each statement the wrapper's search_path."""

    lumbung_wrapper: DatabaseWrapper | None = None

    def _path(self) -> str:
        return self.lumbung_wrapper._search_path_sql()

    def execute(self, query, vars=None):
        w = self.lumbung_wrapper
        if w is None:
            return super().execute(query, vars)
        if self.connection.autocommit:
            return super().execute(
                _prefixed(self, self._path(), query, interpolated=vars is not None), vars
            )
        w._ensure_local_path(self)
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        w = self.lumbung_wrapper
        if w is None:
            return super().executemany(query, vars_list)
        if self.connection.autocommit:
            return super().executemany(
                _prefixed(self, self._path(), query, interpolated=True), vars_list
            )
        w._ensure_local_path(self)
        return super().executemany(query, vars_list)

    def callproc(self, procname, parameters=None):
        w = self.lumbung_wrapper
        if w is not None:
            if self.connection.autocommit:
                raise psycopg2.ProgrammingError(
                    "callproc in autocommit is not supported with DB_POOL_MODE=transaction; "
                    "call it inside transaction.atomic()"
                )
            w._ensure_local_path(self)
        return super().callproc(procname, parameters)

    def _copy(self, method, *args, **kwargs):
        w = self.lumbung_wrapper
        if w is None:
            return method(*args, **kwargs)
        if not self.connection.autocommit:
            w._ensure_local_path(self)
            return method(*args, **kwargs)
        # Autocommit: a COPY cannot share a query string with the SET LOCAL, so it gets a
        # transaction of its own (one server connection for all three statements).
        super().execute("BEGIN; " + self._path())
        try:
            result = method(*args, **kwargs)
        except BaseException:
            super().execute("ROLLBACK")
            raise
        super().execute("COMMIT")
        return result

    def copy_expert(self, sql, file, size=8192):
        return self._copy(super().copy_expert, sql, file, size)

    def copy_from(self, *args, **kwargs):
        return self._copy(super().copy_from, *args, **kwargs)

    def copy_to(self, *args, **kwargs):
        return self._copy(super().copy_to, *args, **kwargs)


def _prefixed(cursor, path_sql: str, query, *, interpolated: bool) -> str | bytes:
    """``SET LOCAL search_path = …; <query>`` as one query string."""
    if isinstance(query, psycopg2.sql.Composable):
        query = query.as_string(cursor)
    if interpolated:
        # The statement is interpolated with its parameters: a % in the path is doubled.
        path_sql = path_sql.replace("%", "%%")
    if isinstance(query, bytes):
        return path_sql.encode() + b" " + query
    return f"{path_sql} {query}"


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        # The path SET LOCAL'd in the current transaction (None: none yet).
        self._txn_path: tuple[str, ...] | None = None
        super().__init__(*args, **kwargs)
        self.pool_mode = (self.settings_dict.get("POOL_MODE") or "session").lower()

    @property
    def transaction_pooling(self) -> bool:
        return self.pool_mode == TRANSACTION

    # -- the path ---------------------------------------------------------------------

    def _search_path_sql(self) -> str:
        if not self.schema_name:
            raise ImproperlyConfigured(
                "Database schema not set. Did you forget to call set_schema() or set_tenant()?"
            )
        paths = self._get_cursor_search_paths()
        return "SET LOCAL search_path = {};".format(",".join(quote_schema_name(s) for s in paths))

    def _ensure_local_path(self, raw_cursor) -> None:
        """Inside a transaction: SET LOCAL the path unless this transaction has it already."""
        wanted = tuple(self._get_cursor_search_paths())
        if self._txn_path != wanted:
            psycopg2.extensions.cursor.execute(raw_cursor, self._search_path_sql())
            self._txn_path = wanted

    # -- cursors ----------------------------------------------------------------------

    @async_unsafe
    def create_cursor(self, name=None):
        if not self.transaction_pooling:
            return super().create_cursor(name)
        if name:
            raise ImproperlyConfigured(
                "Server-side cursors cannot be used with DB_POOL_MODE=transaction "
                "(set DISABLE_SERVER_SIDE_CURSORS)."
            )
        cursor = self.connection.cursor(cursor_factory=PathSettingCursor)
        cursor.lumbung_wrapper = self
        cursor.tzinfo_factory = self.tzinfo_factory if settings.USE_TZ else None
        return cursor

    def _cursor(self, name=None):
        if not self.transaction_pooling:
            return super()._cursor(name)
        # No session-level SET: each statement carries its path (PathSettingCursor).
        return super(tenants_base.DatabaseWrapper, self)._cursor(name)

    # -- the transaction ends: the SET LOCAL is gone ----------------------------------

    def _commit(self):
        self._txn_path = None
        return super()._commit()

    def _rollback(self):
        self._txn_path = None
        return super()._rollback()

    def _set_autocommit(self, autocommit):
        self._txn_path = None
        return super()._set_autocommit(autocommit)

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            # ROLLBACK TO SAVEPOINT undoes a SET LOCAL issued after the savepoint.
            self._txn_path = None

    def close(self):
        self._txn_path = None
        super().close()
