"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class MemberAudit(StrEnum):
    AGENCY_CREATE = "agency.create"
    AGENCY_UPDATE = "agency.update"
    CREATE = "member.create"
    HEIR_ADD = "member.heir_add"
    HEIR_DEACTIVATE = "member.heir_deactivate"
    UPDATE = "member.update"
    USER_LINK = "member.user_link"
    MEMBERS_SETTINGS = "members.settings"
    # a former member joined again: what the new membership took over (heirs, login)
    REJOIN = "member.rejoin"
