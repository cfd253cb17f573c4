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
