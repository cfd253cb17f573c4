"""django-axes' lockout, counted where the login's failures are counted.

``AXES_HANDLER``: axes' database handler whose failure records (``AccessAttempt``, and
the ``AccessFailureLog`` of each failure) live in ``login_counter_schema()`` — the real
cooperative's schema for its practice copy too (``core.users.linked``): a wrong password
or code at the copy counts towards the cooperative's lockout of that username and
address, and a lockout there holds at the copy; a success at either clears the count.
Each schema keeps its own ``AccessLog`` of sign-ins. Elsewhere (a cooperative without a
copy, the operators' console) nothing changes: the schema counts its own."""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler

from .linked import in_login_counter_schema


class CooperativeAxesHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        with in_login_counter_schema():
            return super().get_failures(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        with in_login_counter_schema():
            return super().user_login_failed(sender, credentials, request, **kwargs)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        with in_login_counter_schema():
            return super().reset_user_attempts(request, credentials)

    def clean_expired_user_attempts(self, request=None, credentials: dict | None = None) -> int:
        with in_login_counter_schema():
            return super().clean_expired_user_attempts(request, credentials)
