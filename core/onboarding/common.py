"""Error codes, roles and the row-error shape shared by the move-in's steps."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from core.common.permissions import TREASURY, has_role
from core.common.spreadsheet import CellProblem
from core.members.models import Member


class OnboardingErrors(StrEnum):
    PERMISSION = "onboarding_permission"
    NO_MOVE_IN = "onboarding_no_move_in"
    MOVE_IN_EXISTS = "onboarding_move_in_exists"
    CUTOVER_INVALID = "onboarding_cutover_invalid"
    CUTOVER_CLOSED = "onboarding_cutover_closed"  # its month closed after the start
    # a month or year close refused: a draft move-in's cut-over is on or before its end
    CLOSE_MOVE_IN_UNFINISHED = "onboarding_close_move_in_unfinished"
    WRONG_STATE = "onboarding_wrong_state"
    ROWS_INVALID = "onboarding_rows_invalid"
    UNBALANCED = "onboarding_unbalanced"
    FILE_INVALID = "onboarding_file_invalid"
    NOT_RECONCILED = "onboarding_not_reconciled"
    # the go-live would close months while a manual entry request dated in them waits
    MANUAL_PENDING = "onboarding_manual_entry_pending"
    UNDO_REFUSED = "onboarding_undo_refused"
    ADJUSTMENT_INVALID = "onboarding_adjustment_invalid"
    HIDDEN_ROWS = "onboarding_hidden_rows"
    PREVIEW_INVALID = "onboarding_preview_invalid"  # altered, unknown, another cooperative's
    PREVIEW_EXPIRED = "onboarding_preview_expired"
    PREVIEW_USED = "onboarding_preview_used"  # saved already, or undone with its move-in
    PREVIEW_OTHER_USER = "onboarding_preview_other_user"
    PREVIEW_OTHER_STEP = "onboarding_preview_other_step"
    # the grid typed over after its preview, another file or mapping sent with the
    # confirm, the kept mapping (or hidden-rows choice) not the one the reference signed
    PREVIEW_CHANGED = "onboarding_preview_changed"


E = OnboardingErrors
MOVE_IN_ROLES = TREASURY  # admin, bendahara
# the undo's reason (screen and API): it heads the reversals' descriptions (500 wide)
UNDO_REASON_MAX = 300


def require_role(by, what: str) -> None:
    if not has_role(by, MOVE_IN_ROLES):
        raise ApplicationError(
            E.PERMISSION,
            _("Hanya admin atau bendahara yang dapat %(w)s.") % {"w": what},
            status=403,
        )


def row_error(row: int, field: str, message: str) -> dict:
    return {"row": row, "field": field, "message": str(message)}


# A row read from a workbook in Excel's 1904 date system says so (core.onboarding.files):
# a bare number in its date columns is a serial of that system, not of the 1900 one.
DATE_1904 = "date1904"


def row_date1904(raw: dict) -> bool:
    return raw.get(DATE_1904) is True


MAX_ROW = 1_048_576  # Excel's last row: a row number beyond it is no sheet's


def row_number(value: Any, position: int, errors: list[dict]) -> int:
    """The sheet row number a row gives (``"row"``), or its position when it gives none.
    A number that is not a whole row number (``"A2"``, ``"2a"``, a list) is a row error
    on the field ``row`` (at the row's position), not a crash."""
    if value is None or value == "" or value == 0:
        return position
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ROW:
        return value
    errors.append(
        row_error(
            position,
            "row",
            _("Nomor baris tidak valid: %(v)s (harus bilangan bulat 1 sampai %(m)s).")
            % {"v": str(value)[:40] or "-", "m": f"{MAX_ROW:,}".replace(",", ".")},
        )
    )
    return position


def raise_row_errors(errors: list[dict], message: str) -> None:
    """Refuse the whole step (nothing written), listing every row error."""
    if errors:
        raise ApplicationError(
            E.ROWS_INVALID,
            message,
            fields={"rows": errors},
        )


def member_number_text(value) -> str:
    """A member number as a cell gives it: a number-typed cell (``7`` read as ``7.0``)
    as its digits; the registry's numbers are unique whatever their case."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value if value is not None else "").split())


def members_by_number(values) -> dict[str, Member]:
    """The members the given numbers name, keyed by the number in capitals."""
    numbers = {member_number_text(v).upper() for v in values if not isinstance(v, CellProblem)} - {
        ""
    }
    return {
        m.number.upper(): m
        for m in Member.objects.annotate(u=Upper("number")).filter(u__in=numbers)
    }
