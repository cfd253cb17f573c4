from enum import StrEnum


class UserErrors(StrEnum):
    NAME_REQUIRED = "name_required"
    INVALID_ROLE = "invalid_role"
    EMAIL_REQUIRED = "email_required"
    USER_EXISTS = "user_exists"
    MEMBER_FOR_STAFF = "member_for_staff"
    MEMBER_NOT_FOUND = "member_not_found"
    MEMBER_HAS_LOGIN = "member_has_login"
    # the member has left: their record is read-only (as in core.members)
    MEMBER_NOT_ACTIVE = "member_not_active"
    LAST_ADMIN = "last_admin"
    EMAIL_TAKEN = "email_taken"
    EMAIL_TOO_LONG = "email_too_long"
    OTP_INVALID = "otp_invalid"
    DEACTIVATE_SELF = "deactivate_self"
    # one's own two-step is turned off on the account page, with the password
    TWO_FACTOR_OFF_SELF = "two_factor_off_self"
    # an API key asked to list, make or revoke API keys: only an admin's session may
    API_KEY_CANNOT_MANAGE_KEYS = "api_key_cannot_manage_keys"
