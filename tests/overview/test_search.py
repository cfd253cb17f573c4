"""The search box in the top bar: staff find members by number, name, NIP or NIK, loans
by number and receipts by number, grouped; one hit goes straight to it; members cannot
search; another cooperative's rows are never found."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.savings.models import SavingsProduct
from core.savings.services import savings_account_open, teller_deposit
from tests.members import factories as f


def _search(client, q):
    return client.get(reverse("overview:search"), {"q": q})


@pytest.fixture
def staff_client(coop, client_for):
    return client_for(coop["staff"]["petugas"])


def test_finds_a_member_by_full_nip_and_goes_straight_to_them(coop, staff_client):
    m = coop["m"][2]
    r = _search(staff_client, m.nip)
    assert r.status_code == 302
    assert r["Location"] == reverse("members:detail", args=[m.pk])


@pytest.mark.parametrize("how", ["nip_part", "nik", "number", "name"])
def test_finds_a_member_by_part_of_nip_nik_number_or_name(coop, staff_client, how):
    m = coop["m"][3]
    m.full_name = "Bernadeta Sihombing"
    m.save(update_fields=["full_name"])
    q = {
        "nip_part": m.nip[-9:],
        "nik": m.nik,
        "number": m.number.lower(),
        "name": "sihomb",
    }[how]
    r = _search(staff_client, q)
    url = reverse("members:detail", args=[m.pk])
    if r.status_code == 302:
        assert r["Location"] == url
    else:
        assert r.status_code == 200 and url in r.content.decode()


def test_results_are_grouped_members_loans_and_receipts(coop, staff_client):
    by = coop["by"]
    m1 = coop["m"][0]
    loan = coop["loans"]["m1"]
    # the receipt is dated on the loan's day: a query of that year finds both (in January
    # and February the loan, made two months back, is numbered in last year)
    on = loan.disbursed_on
    acc = savings_account_open(
        member=m1, product=SavingsProduct.objects.get(kind="sukarela"), by=by, on=on
    )
    txn = teller_deposit(account=acc, amount=D("50000"), channel="cash", by=by, on=on)
    # a loan number appears as the loan and nowhere else
    r = _search(staff_client, loan.number)
    assert r.status_code == 302 and r["Location"] == reverse("loans:detail", args=[loan.pk])
    # a receipt number leads to its receipt
    r = _search(staff_client, txn.receipt_number)
    assert r.status_code == 302
    assert r["Location"] == reverse("savings:receipt", args=[txn.pk])
    # a query matching several kinds: one page, grouped
    year = str(on.year)
    assert f"-{year}-" in loan.number and f"-{year}-" in txn.receipt_number
    html = _search(staff_client, year).content.decode()
    assert 'id="results-loans"' in html and 'id="results-receipts"' in html
    assert html.index('id="results-loans"') < html.index('id="results-receipts"')
    assert loan.number in html and txn.receipt_number in html


def test_no_match_says_so(coop, staff_client):
    r = _search(staff_client, "tidak-ada-yang-begini")
    assert r.status_code == 200 and 'id="no-results"' in r.content.decode()


def test_another_cooperatives_member_is_never_found(coop, staff_client, tenant_a, tenant_b):
    from tenants.services import tenant_host

    connection.set_tenant(tenant_b)
    other = f.member(full_name="Yohanes Rahasiabeta")
    client_b_staff = Client(HTTP_HOST=tenant_host(tenant_b.slug))
    client_b_staff.force_login(f.user("petugas"))
    connection.set_tenant(tenant_a)
    for q in ("Rahasiabeta", other.nip, other.nik):
        r = _search(staff_client, q)
        assert r.status_code == 200, q
        html = r.content.decode()
        assert 'id="no-results"' in html and 'id="results-members"' not in html, q
    # the same search at the other cooperative finds them
    r = _search(client_b_staff, other.nip)
    assert r.status_code == 302


def test_members_and_anonymous_cannot_search(coop, client_for, tenant_a):
    from tenants.services import tenant_host

    r = _search(client_for(f.user("anggota")), coop["m"][0].nip)
    assert r.status_code == 403
    r = _search(Client(HTTP_HOST=tenant_host(tenant_a.slug)), coop["m"][0].nip)
    assert r.status_code == 302 and "/masuk/" in r["Location"]


def test_the_search_box_is_in_staff_pages_not_in_the_portal(coop, staff_client, client_for):
    html = staff_client.get(reverse("members:list")).content.decode()
    assert "data-search-box" in html and reverse("overview:search") in html
    member_user = f.user("anggota")
    html = client_for(member_user).get(reverse("portal:home"), follow=True).content.decode()
    assert "data-search-box" not in html


def test_slash_focuses_the_search_box_from_the_script_not_inline(client_for, coop):
    from django.contrib.staticfiles import finders

    with open(finders.find("lumbung/app.js")) as fh:
        js = fh.read()
    assert "[data-search-box]" in js and 'e.key !== "/"' in js
    html = client_for(coop["by"]).get(reverse("home")).content.decode()
    assert "onkeydown" not in html and "<script>" not in html


def test_member_search_uses_the_trigram_index(coop):
    from django.db.models import Q

    from core.members.models import Member

    qs = Member.objects.filter(
        Q(full_name__icontains="sihombing") | Q(nip__icontains="1985")
    ).order_by()
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "member_name_trgm" in plan and "member_nip_trgm" in plan, plan
