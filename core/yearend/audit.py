"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class YearEndAudit(StrEnum):
    CLOSE = "yearend.close"
    RAT_HELD_SET = "yearend.rat_held.set"
    RAT_TEXTS_SET = "yearend.rat_texts.set"
    RECLOSE = "yearend.reclose"
    REOPEN = "yearend.reopen"
    SETTINGS_SET = "yearend.settings.set"
    SHU_PAYOUT = "yearend.shu.payout"
    SHU_PAYOUT_REVERSE = "yearend.shu.payout.reverse"
    SHU_POST = "yearend.shu.post"
    SHU_OLD_BOOKS = "yearend.shu.old_books"
    SHU_OLD_BOOKS_UNDO = "yearend.shu.old_books.undo"
