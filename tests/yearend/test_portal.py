"""The member portal's SHU page: each member sees their own SHU per year and its inputs."""

from datetime import date

from django.conf import settings
from django.test import Client
from django.utils import translation

from core.yearend.services import shu_post, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import YEAR


def test_member_sees_own_shu_and_how_it_was_computed(tenant_a, ready, staff):
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="07/RAT", by=by)
    m1, m2 = ready["m1"], ready["m2"]
    user = f.user("anggota")
    m1.user = user
    m1.save(update_fields=["user"])
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(user)
    r = c.get("/portal/shu/")
    assert r.status_code == 200
    html = r.content.decode()
    share = ye.shares.get(member=m1)
    from core.common.money import format_rupiah

    assert format_rupiah(share.total) in html
    assert format_rupiah(share.capital) in html  # their capital
    assert format_rupiah(ye.funds["total_capital"]) in html  # all members' capital
    assert "07/RAT" in html
    other = ye.shares.get(member=m2)
    assert format_rupiah(other.capital) not in html
    # staff are not members: the portal page is for role anggota only
    s = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    s.force_login(staff["bendahara"])
    assert s.get("/portal/shu/").status_code == 403


def test_member_sees_why_a_pool_shows_nothing_when_it_went_to_cadangan(
    tenant_a, no_loans_year, staff
):
    """Nobody paid loan jasa: the jasa anggota pool went to cadangan. The member's page
    shows that pool as Rp 0 and says where it went, not a bare zero."""
    by = no_loans_year["by"]
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="08/RAT", by=by)
    user = f.user("anggota")
    m1 = no_loans_year["m1"]
    m1.user = user
    m1.save(update_fields=["user"])
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(user)
    html = c.get("/portal/shu/").content.decode()
    assert "tidak ada anggota yang membayar jasa pinjaman, dialihkan ke cadangan" in html
    assert "tidak ada anggota yang bermodal" not in html  # capital pool was shared out


def test_portal_shu_percentages_are_written_as_the_reader_reads_numbers(tenant_a, ready, staff):
    """The AD/ART percentages as the staff screens render them: ``22,50`` (in Indonesian
    ``22.50`` reads as two thousand two hundred and fifty); the English screens keep the
    cooperative's number format (``lumbung.formats.en``)."""
    from core.yearend.services import shu_settings_set

    by = staff["bendahara"]
    shu_settings_set(year=YEAR, by=by, pct_jasa_modal="22.5", pct_cadangan="22.5")
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="07/RAT", by=by)
    user = f.user("anggota")
    ready["m1"].user = user
    ready["m1"].save(update_fields=["user"])
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(user)
    html = c.get("/portal/shu/").content.decode()
    assert "Jasa modal (22,50% dari SHU)" in html and "Jasa anggota (25,00% dari SHU)" in html
    assert "22.50" not in html
    c.post("/i18n/setlang/", {"language": "en", "next": "/portal/shu/"})
    try:
        html = c.get("/portal/shu/").content.decode()
    finally:  # the request left English active in this thread: not for the next tests
        translation.activate(settings.LANGUAGE_CODE)
    assert "Capital share (22,50% of the SHU)" in html and "22.50" not in html
