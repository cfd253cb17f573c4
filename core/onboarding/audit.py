"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class OnboardingAudit(StrEnum):
    ADJUSTMENT = "onboarding.adjustment"
    CAPITAL_BALANCES = "onboarding.capital_balances"
    GO_LIVE = "onboarding.go_live"
    LOANS = "onboarding.loans"
    SHU_CONTRIBUTIONS = "onboarding.shu_contributions"
    START = "onboarding.start"
    TRIAL_BALANCE = "onboarding.trial_balance"
    UNDO = "onboarding.undo"
