"""The loan reports' heading says its period in words ("1 Maret 2026 s.d. 31 Maret
2026"), as the other reports do, not ``01-03-2026``."""

from datetime import date

from core.loans.reports import report_disbursements, report_repayments


def test_report_period_headings_are_in_words(in_tenant_a):
    for build in (report_disbursements, report_repayments):
        rep = build(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
        assert rep.subtitle == "1 Maret 2026 s.d. 31 Maret 2026"
