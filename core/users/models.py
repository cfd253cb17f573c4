from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.roles import Role

# Lumbung's support look-in logs in at a cooperative as ``lumbung-support:<operator id>``
# (lumbung.console.support): a pengawas of the cooperative's schema that is not one of
# its people. Counts of staff leave it out (core.users.selectors.staff_people).
SUPPORT_USERNAME_PREFIX = "lumbung-support:"


class User(AbstractUser):
    """A login. The table exists in every schema: in the public schema it holds platform
    operators, in a cooperative's schema that cooperative's staff and members. A user of
    one schema cannot authenticate on another host."""

    Role = Role  # defined in core.common.roles, below every app that checks a role

    class OperatorRole(models.TextChoices):
        SUPPORT = "support", _("Support")
        BILLING = "billing", _("Billing")
        ADMIN = "admin", _("Admin")

    full_name = models.CharField(_("nama lengkap"), max_length=200, blank=True)
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, blank=True)
    operator_role = models.CharField(
        _("peran operator"), max_length=20, choices=OperatorRole.choices, blank=True
    )
    # When the password links (reset, invitation) e-mailed until then stopped working: a
    # deactivation, a reactivation, another role (``core.users.services``). Part of the
    # links' token (core.users.tokens), so a link sent before never works again.
    password_links_voided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def __str__(self) -> str:
        return self.full_name or self.username


class ApiKey(models.Model):
    """A key for an integration (payroll system, accounting export) of one cooperative.

    The table is in the cooperative's schema, so a key is only ever looked up there: a
    key of cooperative A means nothing at B. Only a short ``prefix`` (to find the row)
    and the SHA-256 of the whole key are stored; the key itself is shown once, when it
    is made. The key acts as its own login-less ``user`` with the key's ``role`` (role
    checks and the audit log need no special case); revoking it deactivates that user."""

    name = models.CharField(_("nama"), max_length=100)
    role = models.CharField(_("peran"), max_length=20, choices=User.Role.choices)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_key")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("kunci API")
        verbose_name_plural = _("kunci API")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=["", "anggota"]), name="users_apikey_staff_role"
            ),
            models.CheckConstraint(
                condition=models.Q(key_hash__regex=r"^[0-9a-f]{64}$"),
                name="users_apikey_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
