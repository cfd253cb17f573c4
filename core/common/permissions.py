"""Roles and permission checks shared by every view and API endpoint.

Roles (domain brief): admin (users, settings) · ketua (approves loans, signs reports) ·
bendahara (cash, postings, deduction batches, year end) · petugas (teller, data entry) ·
pengawas (reads everything, changes nothing, sees the audit log) · anggota (own data only).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.common.roles import Role

R = Role
STAFF = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PETUGAS, R.PENGAWAS})
# Who may change money data (postings, teller, batches) and settings.
MONEY_WRITERS = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PETUGAS})
TREASURY = frozenset({R.ADMIN, R.BENDAHARA})
SETTINGS_ADMINS = frozenset({R.ADMIN})


def has_role(user, roles) -> bool:
    return bool(user and user.is_authenticated and user.role in roles)


def role_required(*, read=STAFF, write=None):
    """Decorator for HTML views: ``read`` roles may GET/HEAD; ``write`` roles (default:
    the read roles minus pengawas) may POST/PUT/PATCH/DELETE."""
    write_roles = frozenset(write) if write is not None else frozenset(read) - {R.PENGAWAS}

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = read if request.method in SAFE_METHODS else write_roles
            if request.user.role not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        # who may open the page: a link to it is offered only to them (the settings page)
        wrapped.read_roles = frozenset(read)
        return wrapped

    return decorator


class RolePermission(BasePermission):
    """DRF: set ``read_roles`` / ``write_roles`` on the view (defaults: all staff read,
    MONEY_WRITERS write). Pengawas never writes."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return user.role in getattr(view, "read_roles", STAFF)
        return user.role in getattr(view, "write_roles", MONEY_WRITERS) and user.role != R.PENGAWAS
