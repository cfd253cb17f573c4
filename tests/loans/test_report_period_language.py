"""The disbursement and repayment reports' period is said in the reader's language:
"1 March 2026 to 31 March 2026" in English, "1 Maret 2026 s.d. 31 Maret 2026" in
Indonesian — not the Indonesian "s.d." between English dates."""

from datetime import date

import pytest
from django.utils import translation

from core.loans.reports import report_disbursements, report_repayments


@pytest.mark.parametrize("build", [report_disbursements, report_repayments])
def test_the_period_is_said_in_the_readers_language(in_tenant_a, build):
    period = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}
    with translation.override("en"):
        assert str(build(**period).subtitle) == "1 March 2026 to 31 March 2026"
    with translation.override("id"):
        assert str(build(**period).subtitle) == "1 Maret 2026 s.d. 31 Maret 2026"
