from enum import StrEnum


class ConsoleErrors(StrEnum):
    FORBIDDEN = "console_forbidden"
    REASON_REQUIRED = "reason_required"
    SUPPORT_DURATION_INVALID = "support_duration_invalid"
    STATE_INVALID = "console_state_invalid"
