from enum import StrEnum

from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from tenants.operators import can


class ConsoleErrors(StrEnum):
    FORBIDDEN = "console_forbidden"
    REASON_REQUIRED = "reason_required"
    SUPPORT_DURATION_INVALID = "support_duration_invalid"
    STATE_INVALID = "console_state_invalid"


def action_require(operator, action: str) -> None:
    """A console service's first check: the operator's role may do ``action`` (a key of
    ``tenants.operators.ACTIONS``), else 403 ``console_forbidden``."""
    if not can(operator, action):
        raise ApplicationError(
            ConsoleErrors.FORBIDDEN,
            _("Peran operator Anda tidak mengizinkan tindakan ini."),
            status=403,
        )
