"""A repayment or an application sent twice (a double click, a resent POST) is recorded
once: the second sending is refused with a message and writes nothing."""

import re
from decimal import Decimal as D

from core.loans.models import Loan, Repayment
from tests.loans.test_api_views import _files


def _key(html: str, action: str) -> str:
    form = html[html.index(action) :]
    m = re.search(r'name="submission" value="([0-9a-f]+)"', form)
    assert m, "the form carries its one-time submission key"
    return m.group(1)


def test_the_same_repayment_form_sent_twice_takes_the_money_once(login, staff, make_loan):
    loan = make_loan()
    c = login(staff["petugas"])
    html = c.get(f"/pinjaman/{loan.pk}/").content.decode()
    data = {"amount": "1.100.000", "channel": "counter", "submission": _key(html, "/repay/")}
    assert c.post(f"/pinjaman/{loan.pk}/repay/", data).status_code == 302
    r = c.post(f"/pinjaman/{loan.pk}/repay/", data, follow=True)
    assert "sudah dikirim" in r.content.decode()
    assert Repayment.objects.filter(loan=loan).count() == 1
    loan.refresh_from_db()
    assert loan.principal_outstanding == D(9_000_000)


def test_the_same_application_sent_twice_makes_one_loan(login, staff, member, product):
    c = login(staff["petugas"])
    key = _key(c.get("/pinjaman/ajukan/").content.decode(), "<form")
    data = {
        "product": product.pk,
        "principal": "5.000.000",
        "tenor": 10,
        "member_number": member.number,
        "submission": key,
    }
    assert c.post("/pinjaman/ajukan/", data | _files()).status_code == 302
    r = c.post("/pinjaman/ajukan/", data | _files(), follow=True)
    assert "sudah dikirim" in r.content.decode()
    assert Loan.objects.filter(member=member).count() == 1
