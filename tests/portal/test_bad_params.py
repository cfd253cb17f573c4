"""Whatever a member types in a portal address — a date at the calendar's edge, a page
that is not a number, a simulation of nonsense — the page answers (a clear word or the
nearest sensible page), never a server error, and shows no figures it did not compute."""

from .conftest import client_for, text


def test_an_end_date_at_the_calendars_start_is_said_not_a_server_error(tenant_a, rina):
    """Only an end date shows the 90 days up to it: on 5 January of year 1 there are no
    90 days before — said, no figures."""
    portal = client_for(tenant_a, rina.user)
    for params in (
        {"date_to": "0001-01-05"},
        {"date_to": "0001-01-05", "format": "pdf"},
    ):
        resp = portal.get("/portal/transaksi/", params)
        assert resp.status_code == 400, params
        page = text(resp.content.decode())
        assert "Tanggal terlalu awal" in page, page
        assert resp.context["statement"] is None


def test_nonsense_in_the_other_pages_addresses_is_no_server_error(tenant_a, rina):
    portal = client_for(tenant_a, rina.user)
    for url, params in (
        ("/portal/potong-gaji/", {"page": "abc"}),
        ("/portal/potong-gaji/", {"page": "99999999999999999999", "per_page": "-5"}),
        ("/portal/transaksi/", {"date_from": "9999-12-31"}),
        ("/portal/transaksi/", {"date_from": "2026-02-30"}),
        ("/portal/transaksi/", {"date_from": "\x00", "format": "xls"}),
        ("/portal/pinjaman/simulasi/", {"product": "999", "principal": "abc", "tenor": "zz"}),
        ("/portal/pinjaman/simulasi/", {"product": "", "principal": "1e999", "tenor": "1e9"}),
        ("/portal/shu/", {"year": "abc"}),
    ):
        resp = portal.get(url, params)
        assert resp.status_code in (200, 400), (url, params, resp.status_code)
