"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class SharingAudit(StrEnum):
    CONSENT_OFF = "sharing.consent_off"
    CONSENT_ON = "sharing.consent_on"
