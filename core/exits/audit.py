"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class ExitAudit(StrEnum):
    EXIT_SETTLEMENT = "member.exit_settlement"
    EXIT_SETTLEMENT_REVERSE = "member.exit_settlement_reverse"
    # a member already marked as left: what they held open paid out and closed
    EXIT_SETTLEMENT_LEFT_OPEN = "member.exit_settlement_left_open"
