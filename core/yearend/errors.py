from enum import StrEnum


class YearEndErrors(StrEnum):
    INVALID = "yearend_invalid"
    PERCENTAGES = "shu_percentages_not_100"
    NOT_ALLOWED = "permission_denied"
    SETTINGS_LOCKED = "shu_settings_locked"
    NO_YEAR = "fiscal_year_missing"
    ALREADY_CLOSED = "year_already_closed"
    CHECKLIST = "close_checklist_incomplete"
    NOT_CLOSED = "year_not_closed"
    ALREADY_POSTED = "shu_already_posted"
    DEFICIT = "shu_deficit"
    RAT_INVALID = "rat_invalid"
    REASON_REQUIRED = "reason_required"
    PAYOUT_INVALID = "shu_payout_invalid"
    ALREADY_PAID = "shu_already_paid"
    PAYOUT_EXCEEDS = "shu_payout_exceeds_share"
    PAYOUT_METHOD = "shu_payout_method"
    NO_SUKARELA = "shu_payout_no_sukarela"
    NO_HEIRS = "shu_payout_no_heirs"
