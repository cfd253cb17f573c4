"""The member screens as staff use them: the list's filters, registration and edit."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.members import factories as f


@pytest.fixture
def petugas_client(client_a, in_tenant_a):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    return c


def test_member_list_agency_filter_of_non_ascii_digits_is_ignored(petugas_client):
    """``?agency=²`` (a superscript two counts as a digit to ``str.isdigit``) shows the
    unfiltered list instead of a server error."""
    m = f.member()
    resp = petugas_client.get(reverse("members:list") + "?agency=²")
    assert resp.status_code == 200
    assert m.number in resp.content.decode()


def test_registration_reports_every_field_error_in_one_round(petugas_client):
    """A bad join date and a bad NIP and NIK: the clerk saw the date's error first and the
    NIP's and NIK's only after fixing it (the form's own checks ran, the service's not)."""
    from core.members.models import Member

    agency = f.agency()
    r = petugas_client.post(
        "/anggota/baru/",
        {
            "full_name": "Rina Wulandari",
            "nip": "12345",
            "nik": "62710",
            "agency": agency.pk,
            "join_date": "bukan tanggal",
        },
    )
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert set(errors) >= {"join_date", "nip", "nik"}, errors
    assert "18 digit" in " ".join(errors["nip"])
    assert "16 digit" in " ".join(errors["nik"])
    assert not Member.objects.exists()
