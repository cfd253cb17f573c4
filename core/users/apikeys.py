"""Per-cooperative API keys: make (shown once), check (constant time), revoke.

A key reads ``lmb_<prefix>_<secret>``: the prefix (8 hex characters) finds the row, the
SHA-256 of the whole key is compared with ``hmac.compare_digest``. A key is 256 bits of
randomness, so a fast hash is enough (no password stretching needed)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError, text_checked
from core.users.audit import UserAudit
from core.users.errors import UserErrors

from .models import ApiKey, User

KEY_PREFIX = "lmb"
# the row-finding part of a key as api_key_create makes it (secrets.token_hex(4)); anything
# else is refused before the database sees it (a NUL byte there was a 500)
PREFIX_RE = re.compile(r"[0-9a-f]{8}")
# last_used_at is rewritten at most this often (not one UPDATE per request).
LAST_USED_EVERY = timedelta(minutes=1)
API_KEY_ROLES = frozenset(
    {User.Role.ADMIN, User.Role.KETUA, User.Role.BENDAHARA, User.Role.PETUGAS, User.Role.PENGAWAS}
)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    raw: str  # the only time the whole key exists outside the caller's hands


@transaction.atomic
def api_key_create(*, by: User, name: str, role: str) -> NewApiKey:
    """Make a key acting with ``role`` (a staff role). Audited; the key is returned once
    and never stored."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(
            UserErrors.NAME_REQUIRED,
            _("Nama kunci wajib diisi."),
            fields={"name": [_("Wajib diisi.")]},
        )
    if role not in API_KEY_ROLES:
        raise ApplicationError(
            UserErrors.INVALID_ROLE,
            _("Kunci API hanya untuk peran staf."),
            fields={"role": [_("Pilih peran staf.")]},
        )
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():  # 1 in 4 billion
        prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    user = User(
        username=f"api-key-{prefix}",
        full_name=_("Kunci API: %(name)s") % {"name": name[:80]},
        role=role,
        is_staff=False,
    )
    user.set_unusable_password()
    user.save()
    key = ApiKey.objects.create(
        name=name[:100], role=role, prefix=prefix, key_hash=_digest(raw), user=user, created_by=by
    )
    audit_log(actor=by, action=UserAudit.API_KEY_CREATED, target=key, data={"role": role})
    return NewApiKey(api_key=key, raw=raw)


@transaction.atomic
def api_key_revoke(*, by: User, api_key: ApiKey, reason: str = "") -> ApiKey:
    """Revoke a key for good (its requests are refused from now on). Audited, with the
    optional ``reason``: refused with a control character in it (``text_checked``),
    the key left as it was."""
    reason = text_checked(reason or "", field="reason", label=_("Alasan"), multiline=True)
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    key.revoked_by = by
    key.save(update_fields=["revoked_at", "revoked_by"])
    User.objects.filter(pk=key.user_id).update(is_active=False)
    audit_log(actor=by, action=UserAudit.API_KEY_REVOKED, target=key, reason=reason)
    return key


def api_key_check(*, raw: str) -> ApiKey | None:
    """The live key ``raw`` stands for in the current schema, or None. Records the time
    of use (at most once a minute)."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not PREFIX_RE.fullmatch(parts[1]):
        return None
    key = (
        ApiKey.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, _digest(raw.strip())):
        return None
    if not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
