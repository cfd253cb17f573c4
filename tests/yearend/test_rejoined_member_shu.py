"""One person, two memberships in a year: a member who left in September and joined
again in October (``Member.previous_member``). Each membership gets its own SHU share
(the old one pro rata to the day it left, the new one from its own capital), the shares
still sum to the pools, and the person sees both in the portal (the login moved to the
new membership; the old membership's share is theirs too and may still be unpaid)."""

from datetime import date
from decimal import Decimal

from django.test import Client

from core.common.money import format_rupiah
from core.members.services import member_create, member_user_link
from core.yearend.models import MemberShare
from core.yearend.services import shu_post, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries

D = Decimal
LEFT = date(YEAR, 9, 30)
BACK = date(YEAR, 10, 15)


def test_both_memberships_share_and_the_portal_shows_both(tenant_a, year_data, staff):
    by, m2 = year_data["by"], year_data["m2"]
    user = f.user("anggota")
    member_user_link(member=m2, user=user, by="tests")
    # left with their savings still open (data from before the database refused it):
    # the old membership's capital counts to the day it left
    f.left_outside_exit(m2, status="resigned", on=LEFT)
    again = member_create(
        by="tests",
        full_name=m2.full_name,
        nip=m2.nip,
        nik=m2.nik,
        agency=m2.agency,
        join_date=BACK,
    )
    assert again.previous_member_id == m2.pk
    _deposit(again, "pokok", "100000", BACK, by)
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="05/RAT", by=by)
    old, new = MemberShare.objects.get(member=m2), MemberShare.objects.get(member=again)
    # the old membership pro rata to the day it left; the new one its year-end capital
    assert old.capital < D("2600000") and old.total > 0
    assert new.capital == D("100000") and new.total > 0
    shares = MemberShare.objects.filter(year_end=ye)
    assert sum(s.jma for s in shares) == D(str(ye.funds["jasa_modal"]))

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(user)
    html = c.get("/portal/shu/").content.decode()
    assert format_rupiah(new.total) in html
    # the earlier membership's share, named by its number
    assert format_rupiah(old.total) in html and m2.number in html
    assert format_rupiah(old.capital) in html
