"""Adversarial review of the opening trial balance: rupiah as people write them in a
file, negatives, blank rows, an account twice, a cut-over in a closed month."""

from decimal import Decimal as D

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import Account, JournalEntry
from core.ledger.selectors import account_balance
from core.onboarding.files import rows_from_file
from core.onboarding.services import move_in_start, trial_balance_post


def _csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def test_file_amounts_in_every_written_form_are_posted_exactly(move_in, by, cutover):
    content = _csv(
        [
            "akun;debit;kredit",
            "1101;1.234.567;",
            ";;",
            '1103;"1,234,567.00";',
            "1104;;Rp 69.134",
            ";;",
            "3103;;2.400.000",
        ]
    )
    rows = rows_from_file(content=content, file_name="nsa.csv", kind="trial_balance")
    entry = trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert entry.lines.count() == 4
    bal = {
        c: account_balance(account=Account.objects.get(code=c), as_of=cutover)
        for c in ("1101", "1103", "1104", "3103")
    }
    assert bal == {
        "1101": D("1234567"),
        "1103": D("1234567"),
        "1104": D("69134"),
        "3103": D("2400000"),
    }


@pytest.mark.parametrize("written", ["(1.000)", "-1.000", "Rp (1.000)"])
def test_a_negative_balance_is_refused_saying_it_is_negative(move_in, by, written):
    """Old software prints a contra balance as (1.000) or -1.000 in its own column: it
    belongs on the other side. Refused, the row named, saying it is negative."""
    rows = [
        {"row": 2, "account": "1101", "debit": "11.000", "credit": ""},
        {"row": 3, "account": "1104", "debit": written, "credit": ""},
        {"row": 4, "account": "3103", "debit": "", "credit": "10.000"},
    ]
    before = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert e.value.code == "onboarding_rows_invalid"
    (err,) = e.value.fields["rows"]
    assert err["row"] == 3 and err["field"] == "debit"
    assert "negatif" in err["message"]
    assert JournalEntry.objects.count() == before


def test_the_same_account_by_code_and_by_name_is_refused(move_in, by):
    name = Account.objects.get(code="1101").name
    rows = [
        {"row": 2, "account": "1101", "debit": "5.000", "credit": ""},
        {"row": 3, "account": name, "debit": "5.000", "credit": ""},
        {"row": 4, "account": "3103", "debit": "", "credit": "10.000"},
    ]
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    (err,) = e.value.fields["rows"]
    assert err["row"] == 3 and "baris 2" in err["message"]
    assert not JournalEntry.objects.filter(source="opening").exists()


def test_cutover_in_a_closed_month_is_refused_at_the_start(by, cutover):
    """A cut-over on or before the last closed month: the opening entry could never be
    posted there. Refused when the cut-over is chosen, not after the upload."""
    from core.ledger.models import Period
    from core.ledger.services import fiscal_year_ensure, period_close

    fiscal_year_ensure(year=cutover.year)
    period_close(period=Period.objects.get(start_date__lte=cutover, end_date__gte=cutover), by=by)
    with pytest.raises(ApplicationError) as e:
        move_in_start(cutover_date=cutover, by=by)
    assert e.value.code == "onboarding_cutover_invalid"
    assert "cutover_date" in e.value.fields
