"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class DeductionAudit(StrEnum):
    IMPORT_DISCARD = "deductions.import_discard"
    IMPORT_EXCLUDE = "deductions.import_exclude"
    IMPORT_RECHECK = "deductions.import_recheck"
    IMPORT_UPLOAD = "deductions.import_upload"
    POST = "deductions.post"
    POST_ALL = "deductions.post_all"
    POST_NOTHING = "deductions.post_nothing"
    REVERSE = "deductions.reverse"
    RUN_CREATE = "deductions.run_create"
    RUN_GENERATE = "deductions.run_generate"
    RUN_REGENERATE = "deductions.run_regenerate"
    SETTINGS = "deductions.settings"
