"""The tokens of password-reset and invitation links.

Django's reset token is an HMAC of the user's id, password hash, last login and e-mail
with the one ``SECRET_KEY`` every cooperative shares. The same login can exist in two
schemas — a cooperative restored from a backup (``cooperative_restore``: same ids, same
hashes), a practice copy —, so the schema is part of the hash too: a link works only at
the cooperative that sent it. It stays single-use (the password hash changes when it is
used) and expires after ``PASSWORD_RESET_TIMEOUT``. A deactivation, a reactivation or
another role (``User.password_links_voided_at``, set by ``core.users.services``) ends
every link sent before: a link refused while the login was inactive does not work again
once it is reactivated, and a link sent for one role does not set a password for
another."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import connection


class CooperativeTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "lumbung.users.tokens.CooperativeTokenGenerator"

    def _make_hash_value(self, user, timestamp) -> str:
        schema = getattr(connection, "schema_name", "public")
        value = f"{schema}:{super()._make_hash_value(user, timestamp)}"
        voided = user.password_links_voided_at
        # never voided: the hash as before the field existed (links sent before the
        # deploy keep working)
        return value if voided is None else f"{voided.isoformat()}:{value}"


password_link_tokens = CooperativeTokenGenerator()
