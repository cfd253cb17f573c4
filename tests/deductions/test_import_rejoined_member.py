"""A realized file names members by NIP. A member who left and joined again has two
records with that NIP: the row is the ACTIVE membership's (the one on the list), never
the old record's."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.deductions.models import DeductionLine
from core.deductions.services import deduction_import_upload
from core.members.models import Member

from .conftest import csv_bytes, make_run


@pytest.fixture
def month(coop, cutoffs):
    m3 = coop["m"][2]
    # m3's earlier membership, left years ago; its number sorts after m3's, so a lookup
    # that keeps the last row per NIP would take it
    Member.objects.create(
        number="ZZ-LAMA",
        full_name=m3.full_name,
        nip=m3.nip,
        nik=m3.nik,
        gender=m3.gender,
        birth_date=m3.birth_date,
        agency=m3.agency,
        join_date=date(2010, 1, 4),
        status=Member.Status.RESIGNED,
        exit_date=date(2015, 6, 30),
    )
    run = make_run(on=cutoffs[1], by=coop["by"])
    return coop, run


def test_row_by_nip_is_matched_to_the_active_membership(month):
    coop, run = month
    m3 = coop["m"][2]
    line = DeductionLine.objects.get(run=run, member=m3)
    imp = deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m3.nip, int(line.total))]),
        file_name="r.csv",
        by=coop["by"],
    )
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    assert [r["line_id"] for r in imp.rows] == [line.pk]
    assert D(imp.rows[0]["amount"]) == line.total
