"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class PortalAudit(StrEnum):
    ACTIVATED = "portal.activated"
    ACTIVATION_REFUSED = "portal.activation_refused"
    ACTIVATION_REQUESTED = "portal.activation_requested"
    INVITED = "portal.invited"
