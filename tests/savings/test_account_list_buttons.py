"""The savings list's buttons lead only to screens the role may open: a teller
(petugas) was shown *PPh jasa simpanan* and got a 403 page on clicking it."""

import pytest
from django.test import Client

from tests.members import factories as f

PPH = 'href="/simpanan/pph/"'


@pytest.mark.parametrize(
    ("role", "shown"),
    [("petugas", False), ("bendahara", True), ("ketua", True), ("pengawas", True)],
)
def test_pph_button_only_for_roles_that_read_the_pph_list(client_a, in_tenant_a, role, shown):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user(role))
    page = c.get("/simpanan/").content.decode()
    assert (PPH in page) is shown
    assert c.get("/simpanan/pph/").status_code == (200 if shown else 403)
