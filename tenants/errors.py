from enum import StrEnum


class TenantErrors(StrEnum):
    SLUG_TAKEN = "slug_taken"
    SLUG_INVALID = "slug_invalid"
    SLUG_RESERVED = "slug_reserved"
    PHONE_INVALID = "phone_invalid"
    EMAIL_INVALID = "email_invalid"
    NIK_KOPERASI_INVALID = "nik_koperasi_invalid"
    SCHEMA_EXISTS = "schema_exists"
    BACKUP_NEWER = "backup_newer"
    TEMPLATE_MISSING = "template_missing"
    TEMPLATE_STALE = "template_stale"
    PRACTICE_NOT_ALLOWED = "practice_not_allowed"
    PRACTICE_MISSING = "practice_missing"
    PRACTICE_NOT_PRACTICE = "practice_not_practice"
    PRACTICE_SLUG_TAKEN = "practice_slug_taken"
    LINK_INVALID = "link_invalid"
    LINK_EXPIRED = "link_expired"
    LOGIN_LINK_INVALID = "login_link_invalid"
    LOGIN_LINK_USED = "login_link_used"
    SIGNUP_NOT_VERIFIED = "signup_not_verified"
    SIGNUP_NOT_RETRYABLE = "signup_not_retryable"
