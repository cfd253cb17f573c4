"""The pengawas (supervisory board) reads the member registry and changes nothing: the
screens offer them no form or button that would only end in "forbidden", and the
registration and edit screens are not theirs to open. Staff who write still see them."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.members import factories as f

HOST = "alpha.localhost"


@pytest.fixture
def member(in_tenant_a):
    return f.member(agency_obj=f.agency())


def _client(role):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(f.user(role))
    return c


def test_pengawas_reads_the_list_detail_and_agencies_without_write_controls(member):
    c = _client("pengawas")
    html = c.get(reverse("members:list")).content.decode()
    assert member.number in html
    assert reverse("members:create") not in html
    assert reverse("members:import") not in html
    html = c.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert member.nip in html
    assert reverse("members:edit", args=[member.pk]) not in html
    assert 'name="share_percent"' not in html  # the add-heir form
    html = c.get(reverse("members:agencies")).content.decode()
    assert member.agency.name in html
    assert reverse("members:agency_create") not in html
    assert reverse("members:agency_edit", args=[member.agency.pk]) not in html


def test_pengawas_cannot_open_the_registration_or_edit_screens(member):
    c = _client("pengawas")
    for url in (
        reverse("members:create"),
        reverse("members:edit", args=[member.pk]),
        reverse("members:agency_create"),
        reverse("members:agency_edit", args=[member.agency.pk]),
    ):
        assert c.get(url).status_code == 403, url


def test_petugas_still_sees_and_opens_them(member):
    c = _client("petugas")
    html = c.get(reverse("members:list")).content.decode()
    assert reverse("members:create") in html
    html = c.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert reverse("members:edit", args=[member.pk]) in html
    assert 'name="share_percent"' in html
    html = c.get(reverse("members:agencies")).content.decode()
    assert reverse("members:agency_edit", args=[member.agency.pk]) in html
    for url in (reverse("members:create"), reverse("members:edit", args=[member.pk])):
        assert c.get(url).status_code == 200, url
