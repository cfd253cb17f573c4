"""A loan row of the move-in names its member by NIP: when the person was a member
before (an old record that left, same NIP), the loan goes to the ACTIVE membership."""

from datetime import date

from core.loans.models import Loan
from core.members.models import Member
from core.onboarding.files import rows_from_file
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post

from .helpers import loan_row, tb_rows
from .test_loans_file_dates_and_nip import HEADER, _csv, _line


def test_nip_row_goes_to_the_active_membership_not_the_old_one(
    move_in, by, members, product, cutover
):
    m = members[1]
    Member.objects.create(
        number="ZZ-LAMA",
        full_name=m.full_name,
        nip=m.nip,
        nik=m.nik,
        gender=m.gender,
        birth_date=m.birth_date,
        agency=m.agency,
        join_date=date(2010, 1, 4),
        status=Member.Status.RETIRED,
        exit_date=date(2015, 6, 30),
    )
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    r = loan_row(m, cutover, row=2)
    header = ["no anggota", "nip", *HEADER[1:]]
    lines = [["", m.nip, *_line(r, r["disbursed_on"])[1:]]]
    rows = rows_from_file(content=_csv(lines, header=header), file_name="p.csv", kind="loans")
    (loan,) = loans_import(move_in=move_in, rows=rows, by=by)
    assert Loan.objects.get(pk=loan.pk).member == m
