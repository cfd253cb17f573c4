"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class DinasAudit(StrEnum):
    LOGIN = "dinas.login"
    PEMBINA_ACTIVATE = "dinas.pembina_activate"
    PEMBINA_CREATE = "dinas.pembina_create"
    PEMBINA_DEACTIVATE = "dinas.pembina_deactivate"
    PEMBINA_RESCOPE = "dinas.pembina_rescope"
    REFUSED = "dinas.refused"
