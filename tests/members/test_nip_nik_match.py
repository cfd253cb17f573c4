"""NIP and NIK are checked against each other (domain brief, "Identifier formats"): the
birth date in the NIP (YYYYMMDD) is the NIK's DDMMYY (day + 40 for a woman), and the
NIP's gender digit (1 man, 2 woman) is the NIK's. A pair that disagrees is refused
naming both numbers' dates, at registration, in the API, on edit and in the import."""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from core.common.errors import ApplicationError
from core.members.models import Member
from core.members.services import member_create, member_update
from core.members.validators import nip_nik_match
from core.savings.member_import import member_import_upload
from tests.members import factories as f
from tests.members.test_import import rows as import_rows
from tests.members.test_import import to_csv

NIP_M = "198503152010011001"  # born 15 March 1985, man
NIK_M = "627103150385" + "0001"
NIK_F = "627103550385" + "0001"  # 15 March 1985, woman (day + 40)
NIP_F = "198503152010012001"
NIK_OTHER_DAY = "627103160385" + "0001"  # 16 March 1985


@pytest.mark.parametrize(("nip", "nik"), [(NIP_M, NIK_M), (NIP_F, NIK_F)])
def test_matching_pairs_pass(nip, nik):
    nip_nik_match(nip, nik)


def test_birth_dates_that_differ_are_refused_naming_both():
    with pytest.raises(ValidationError) as e:
        nip_nik_match(NIP_M, NIK_OTHER_DAY)
    msg = e.value.messages[0]
    assert "15 Maret 1985" in msg and "16-03-85" in msg
    assert NIP_M in msg and NIK_OTHER_DAY in msg


def test_genders_that_differ_are_refused():
    with pytest.raises(ValidationError) as e:
        nip_nik_match(NIP_M, NIK_F)
    msg = e.value.messages[0]
    assert "laki-laki" in msg and "perempuan" in msg
    with pytest.raises(ValidationError):
        nip_nik_match(NIP_F, NIK_M)


def test_century_is_taken_from_the_nip():
    # NIK year 85 with NIP 1985: one date; NIK year 05 never matches 1985
    with pytest.raises(ValidationError):
        nip_nik_match(NIP_M, "627103150305" + "0001")


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


def test_registration_refuses_a_pair_that_disagrees(agency):
    with pytest.raises(ApplicationError) as e:
        member_create(
            by="t",
            full_name="Budi",
            nip=NIP_M,
            nik=NIK_OTHER_DAY,
            agency=agency,
            join_date=date(2020, 1, 2),
        )
    assert e.value.code == "member_nip_nik_mismatch"
    assert "nik" in e.value.fields
    assert not Member.objects.exists()


def test_edit_refuses_a_nik_that_disagrees_with_the_stored_nip(agency):
    m = member_create(
        by="t", full_name="Budi", nip=NIP_M, nik=NIK_M, agency=agency, join_date=date(2020, 1, 2)
    )
    with pytest.raises(ApplicationError) as e:
        member_update(member=m, by="t", nik=NIK_F)
    assert e.value.code == "member_nip_nik_mismatch"
    assert Member.objects.get(pk=m.pk).nik == NIK_M


def test_api_refuses_a_pair_that_disagrees_with_json(agency, client_a):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    body = {"full_name": "Budi", "nip": NIP_M, "nik": NIK_F, "agency": agency.pk}
    body["join_date"] = "2020-01-02"
    r = c.post("/api/v1/members/", json.dumps(body), "application/json")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "member_nip_nik_mismatch"
    assert "perempuan" in err["message"]


def test_import_refuses_a_row_whose_pair_disagrees(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")
    data = import_rows(2)
    data[1].update(nip=NIP_M, nik=NIK_OTHER_DAY)
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=f.user("bendahara"))
    assert batch.status == "invalid"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "nik")]
    assert "16-03-85" in batch.errors[0]["message"]


def test_factories_and_demo_people_make_matching_pairs():
    from core.savings.seeding import _demo_people

    for _ in range(200):
        nip_nik_match(*f.unique_ids())
    for p in _demo_people():
        nip_nik_match(p["nip"], p["nik"])
