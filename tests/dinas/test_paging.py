"""Bad page numbers and ids on the Dinas and console pages answer a page (the last page
of the table) or a 404, never a 500: a page number beyond PostgreSQL's bigint OFFSET is
clamped before it reaches the query."""

import pytest

from tests.console.conftest import make_operator, verified_client
from tests.dinas.conftest import make_pembina

pytestmark = pytest.mark.django_db

HUGE = "100000000000000000000"


@pytest.mark.parametrize("page", [HUGE, "9223372036854775807", "-" + HUGE, "1e9", "abc"])
def test_dinas_table_with_a_wild_page_number_shows_a_page(shared_both, page):
    client = verified_client(make_pembina("prov-p1@dinas.test").user)
    client.raise_request_exception = False
    r = client.get("/dinas/", {"page": page})
    assert r.status_code == 200, r.status_code
    body = r.content.decode()
    assert "KPRI Alpha" in body and "KPRI Beta" in body  # the last (only) page


def test_dinas_profile_and_console_with_a_huge_id(db):
    client = verified_client(make_pembina("prov-p2@dinas.test").user)
    client.raise_request_exception = False
    assert client.get(f"/dinas/koperasi/{HUGE}/").status_code == 404
    op = verified_client(make_operator("admin", "admin-p2@ops.lumbung.test"))
    op.raise_request_exception = False
    assert op.get(f"/konsol/koperasi/{HUGE}/").status_code == 404
    assert op.get("/konsol/koperasi/", {"page": HUGE}).status_code == 200
