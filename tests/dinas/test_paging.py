"""Page numbers and ids on the Dinas and console pages never give a 500: a page number
past the end (even beyond PostgreSQL's bigint OFFSET, clamped before it reaches the
query) shows the last page of the table; one that is not a whole number of 1 or more is
refused with its reason (400, tests/dinas/test_bad_input.py); a huge id is a 404."""

import pytest

from tests.console.conftest import make_operator, verified_client
from tests.dinas.conftest import make_pembina

pytestmark = pytest.mark.django_db

HUGE = "100000000000000000000"


@pytest.mark.parametrize("page", [HUGE, "9223372036854775807"])
def test_dinas_table_with_a_huge_page_number_shows_the_last_page(shared_both, page):
    client = verified_client(make_pembina("prov-p1@dinas.test").user)
    client.raise_request_exception = False
    r = client.get("/dinas/", {"page": page})
    assert r.status_code == 200, r.status_code
    body = r.content.decode()
    assert "KPRI Alpha" in body and "KPRI Beta" in body  # the last (only) page


@pytest.mark.parametrize("page", ["-" + HUGE, "1e9", "abc"])
def test_dinas_table_with_a_page_number_that_is_no_page_says_so(shared_both, page):
    client = verified_client(make_pembina("prov-p3@dinas.test").user)
    client.raise_request_exception = False
    r = client.get("/dinas/", {"page": page})
    assert r.status_code == 400
    assert "Nomor halaman harus bilangan bulat" in r.content.decode()


def test_dinas_profile_and_console_with_a_huge_id(db):
    client = verified_client(make_pembina("prov-p2@dinas.test").user)
    client.raise_request_exception = False
    assert client.get(f"/dinas/koperasi/{HUGE}/").status_code == 404
    op = verified_client(make_operator("admin", "admin-p2@ops.lumbung.test"))
    op.raise_request_exception = False
    assert op.get(f"/konsol/koperasi/{HUGE}/").status_code == 404
    assert op.get("/konsol/koperasi/", {"page": HUGE}).status_code == 200
