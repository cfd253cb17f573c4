"""A return row whose NIP is known but whose member number names nobody is matched by
the NIP and said so, as the opposite case (unknown NIP, known number) already was: found
walking the demo, a row typed "A99999" with A00009's NIP was posted to A00009 without a
word on the import page."""

import pytest

from core.deductions.services import deduction_import_upload

from .conftest import csv_bytes, login, make_run


@pytest.fixture
def month(coop, cutoffs):
    return coop, make_run(on=cutoffs[1], by=coop["by"])


def test_unknown_member_number_with_known_nip_is_matched_by_nip_and_said(month):
    coop, run = month
    m1 = coop["m"][0]
    imp = deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m1.nip, "A99999", 0)], header=("NIP", "No. Anggota", "Realisasi")),
        file_name="r.csv",
        by=coop["by"],
    )
    assert imp.status == "valid"
    assert [w["message"] for w in imp.posted_data["warnings"]] == [
        "No. Anggota A99999 tidak dikenal; anggota dicocokkan dari NIP."
    ]
    row = imp.rows[0]
    assert row["preview"]["guessed"] is True and row["preview"]["by_nip"] is True
    assert row["preview"]["member"] == f"{m1.full_name} ({m1.number})"
    page = login(coop["by"]).get(f"/potong-gaji/impor/{imp.pk}/").content.decode()
    assert "No. Anggota A99999 tidak dikenal; anggota dicocokkan dari NIP." in page
    # the row's badge says how it was matched (not "dicocokkan dari No. Anggota")
    assert "dicocokkan dari NIP</span>" in page
    assert "dicocokkan dari No. Anggota</span>" not in page


def test_matching_nip_and_number_say_nothing(month):
    coop, run = month
    m1 = coop["m"][0]
    imp = deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m1.nip, m1.number, 0)], header=("NIP", "No. Anggota", "Realisasi")),
        file_name="r.csv",
        by=coop["by"],
    )
    assert imp.status == "valid"
    assert imp.posted_data["warnings"] == []
