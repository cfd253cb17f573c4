"""The move-in's running loans go only to members who have not left. A row naming a
member who left (by number, or by a NIP only a former membership holds) used to bring
the loan in as running on that closed record: a member marked as left with a loan open,
which nothing could settle (the exit settlement refused them as no longer active). Now
the row is refused naming the member, their status and exit date — and, when the person
joined again, the current membership's number to write instead; nothing is written."""

from datetime import date

import pytest

from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.members.models import Member
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post

from .helpers import loan_row, tb_rows


def _former(m: Member | None, *, number: str, nip: str = "", nik: str = "") -> Member:
    """A record that left in 2015 (its NIP/NIK the person's ``m`` if given)."""
    base = m or Member.objects.first()
    return Member.objects.create(
        number=number,
        full_name="Rahmat Hidayat",
        nip=nip or base.nip,
        nik=nik or base.nik,
        gender=base.gender,
        birth_date=base.birth_date,
        agency=base.agency,
        join_date=date(2010, 1, 4),
        status=Member.Status.RETIRED,
        exit_date=date(2015, 6, 30),
    )


def _errors(exc) -> dict:
    return {(r["row"], r["field"]): r["message"] for r in exc.value.fields["rows"]}


@pytest.fixture
def opened(move_in, by):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    move_in.refresh_from_db()
    return move_in


def test_a_row_naming_a_member_who_left_by_number_is_refused(opened, by, members, product, cutover):
    m = members[1]
    old = _former(m, number="ZZ-LAMA")
    before = Loan.objects.count()
    with pytest.raises(ApplicationError) as e:
        loans_import(
            move_in=opened,
            rows=[loan_row(members[0], cutover, row=2), loan_row(old, cutover, row=3)],
            by=by,
        )
    msg = _errors(e)[(3, "member_number")]
    assert "ZZ-LAMA" in msg and "sudah keluar" in msg and "Pensiun" in msg
    assert "30 Jun 2015" in msg or "30 Juni 2015" in msg
    # the person is a member again: the number to write instead
    assert m.number in msg
    assert (2, "member_number") not in _errors(e)
    assert Loan.objects.count() == before


def test_a_row_whose_nip_only_a_former_member_holds_is_refused(
    opened, by, members, product, cutover
):
    from tests.members import factories as f

    nip, nik = f.unique_ids()
    old = _former(None, number="ZZ-LAMA", nip=nip, nik=nik)
    r = loan_row(old, cutover, row=2)
    r["member_number"] = ""
    r["nip"] = nip
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=opened, rows=[r], by=by)
    msg = _errors(e)[(2, "nip")]
    assert "ZZ-LAMA" in msg and "sudah keluar" in msg
    assert not Loan.objects.filter(member=old).exists()
