"""A member sees only their own data: another member's id in any portal URL or query
finds nothing of theirs (a loan page answers 404, as for an id that does not exist), and
the other member's figures, names and numbers appear on none of the member's pages."""

from datetime import date

from core.common.money import format_rupiah
from core.members.services import member_create

from .conftest import Y, books_open_back_to, client_for, deposit, loan_disbursed, loan_product

PAGES = [
    "/portal/",
    "/portal/transaksi/",
    "/portal/pinjaman/",
    "/portal/pinjaman/simulasi/",
    "/portal/potong-gaji/",
    "/portal/shu/",
]


def test_another_members_ids_find_nothing_of_theirs(tenant_a, staff, rina, other):
    by = staff["bendahara"]
    books_open_back_to(Y)
    product = loan_product()
    deposit(rina, "sukarela", "250000", date(Y, 1, 5), by)
    deposit(other, "sukarela", "987654", date(Y, 1, 5), by)
    mine = loan_disbursed(rina, product, staff, "2000000", 4, date(Y, 1, 15), date(Y, 2, 15))
    theirs = loan_disbursed(other, product, staff, "3456000", 6, date(Y, 1, 15), date(Y, 2, 15))
    portal = client_for(tenant_a, rina.user)
    secret = [other.full_name, other.number, theirs.number, format_rupiah(987654), "3.456.000"]

    assert portal.get(f"/portal/pinjaman/{mine.pk}/").status_code == 200
    assert portal.get(f"/portal/pinjaman/{theirs.pk}/").status_code == 404
    assert portal.get("/portal/pinjaman/999999/").status_code == 404
    ids = {"member": other.pk, "member_id": other.pk, "pk": theirs.pk, "id": other.pk}
    for url in PAGES:
        for query in ({}, ids, {"date_from": f"{Y - 6}-01-01", "date_to": f"{Y + 4}-12-31"} | ids):
            resp = portal.get(url, query)
            assert resp.status_code == 200, (url, query)
            body = resp.content.decode()
            assert not [s for s in secret if s in body], (url, query)
    # the other member's own pages are not reachable from the portal login either
    for url in (f"/anggota/{other.pk}/", f"/simpanan/kartu/{other.pk}/", f"/pinjaman/{theirs.pk}/"):
        assert portal.get(url).status_code in (403, 404), url


def test_earlier_memberships_are_the_persons_own_only(tenant_a, staff, rina, other):
    """The person who joined again sees the loans of their own earlier membership; not
    those of another person, whatever the id."""
    from core.exits.services import exit_settlement_confirm, exit_settlement_preview

    by = staff["bendahara"]
    books_open_back_to(Y)
    product = loan_product()
    deposit(other, "sukarela", "9000000", date(Y, 1, 5), by)
    theirs = loan_disbursed(other, product, staff, "3456000", 6, date(Y, 1, 15), date(Y, 2, 15))
    on = date(Y, 3, 31)
    preview = exit_settlement_preview(member=other, on=on)
    exit_settlement_confirm(
        member=other, reason="resigned", on=on, by=by, expected_net=preview.net_payable
    )
    other_again = member_create(
        by="tests",
        full_name=other.full_name,
        nip=other.nip,
        nik=other.nik,
        agency=other.agency,
        join_date=date(Y, 5, 1),
    )
    other_again.refresh_from_db()
    # the other person's new login sees their earlier loan; Rina does not
    assert (
        client_for(tenant_a, other_again.user).get(f"/portal/pinjaman/{theirs.pk}/").status_code
        == 200
    )
    assert client_for(tenant_a, rina.user).get(f"/portal/pinjaman/{theirs.pk}/").status_code == 404
