from enum import StrEnum


class DinasErrors(StrEnum):
    INVALID_EMAIL = "invalid_email"
    UNKNOWN_PROVINCE = "unknown_province"
    UNKNOWN_REGENCY = "unknown_regency"
    PEMBINA_UNCHANGED = "pembina_unchanged"
    OPERATOR_NOT_PEMBINA = "operator_not_pembina"
