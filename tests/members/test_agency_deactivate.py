"""An instansi is taken off (merged, dissolved) once its members have moved: while it
still has active members — whose wajib and instalments keep going on its payroll
deduction list every month — deactivating it is refused on the field, in Bahasa
Indonesia, and nothing changes. Members who have left do not hold it back."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.common.errors import ApplicationError
from core.members.models import Agency
from core.members.services import agency_update, member_status_set, member_update
from tests.members import factories as f

HOST = "alpha.localhost"


def _deactivate(agency, by="tests"):
    return agency_update(agency=agency, by=by, code=agency.code, name=agency.name, is_active=False)


@pytest.fixture
def agency(in_tenant_a):
    return f.agency("DISHUB", "Dinas Perhubungan")


def test_agency_with_active_members_cannot_be_deactivated(agency):
    f.member(agency_obj=agency)
    with pytest.raises(ApplicationError) as e:
        _deactivate(agency)
    assert e.value.code == "agency_has_active_members"
    assert "is_active" in e.value.fields
    assert Agency.objects.get(pk=agency.pk).is_active


def test_agency_is_deactivated_once_its_members_moved_or_left(agency):
    moved, left = f.member(agency_obj=agency), f.member(agency_obj=agency)
    other = f.agency("DISDIK", "Dinas Pendidikan")
    member_update(member=moved, by="tests", agency=other, reason="mutasi")
    member_status_set(
        member=left, status="retired", on=timezone.localdate(), reason="pensiun", by="tests"
    )
    _deactivate(agency)
    assert not Agency.objects.get(pk=agency.pk).is_active


def test_agency_form_shows_the_refusal(agency):
    f.member(agency_obj=agency)
    c = Client(HTTP_HOST=HOST)
    c.force_login(f.user("petugas"))
    resp = c.post(
        reverse("members:agency_edit", args=[agency.pk]),
        {"code": agency.code, "name": agency.name},  # "aktif" unticked
    )
    assert resp.status_code == 200
    assert "anggota aktif" in resp.content.decode()
    assert Agency.objects.get(pk=agency.pk).is_active
