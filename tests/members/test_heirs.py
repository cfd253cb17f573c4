"""Heirs (ahli waris): the shares of a member's active heirs add up to at most 100 %.
A share that would bring the total above 100 % is refused on the share field, in Bahasa
Indonesia, nothing recorded; inactive heirs do not count; two clerks adding at the same
moment cannot both pass (the member row is locked while the total is checked)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.members.models import Heir
from core.members.services import heir_add
from tenants.services import tenant_host
from tests.concurrency import two_clerks

from . import factories as f

D = Decimal


@pytest.fixture
def member(in_tenant_a):
    return f.member(agency_obj=f.agency())


def _add(member, name, share, by="tests"):
    return heir_add(member=member, by=by, full_name=name, relationship="anak", share_percent=share)


def test_third_heir_at_60_percent_each_is_refused_on_the_share(member):
    _add(member, "Anak Satu", D("60"))
    with pytest.raises(ApplicationError) as e:
        _add(member, "Anak Dua", D("60"))
    assert e.value.code == "member_heir_shares_over_100"
    assert "120%" in str(e.value.message) and "100%" in str(e.value.message)
    assert e.value.fields["share_percent"] == ["Paling banyak 40% (sisa dari 100%)."]
    assert list(member.heirs.values_list("full_name", "share_percent")) == [("Anak Satu", D("60"))]
    assert AuditEvent.objects.filter(action="member.heir_add").count() == 1


def test_shares_may_add_up_to_exactly_100_percent_and_no_further(member):
    _add(member, "Anak Satu", D("33.33"))
    _add(member, "Anak Dua", D("33.33"))
    _add(member, "Anak Tiga", D("33.34"))
    with pytest.raises(ApplicationError) as e:
        _add(member, "Anak Empat", D("0.01"))
    assert e.value.fields["share_percent"] == ["Paling banyak 0% (sisa dari 100%)."]
    assert sum(member.heirs.values_list("share_percent", flat=True)) == D("100")


def test_inactive_heirs_do_not_count(member):
    old = _add(member, "Istri (cerai)", D("100"))
    Heir.objects.filter(pk=old.pk).update(is_active=False)
    _add(member, "Anak", D("100"))
    assert member.heirs.filter(is_active=True).count() == 1


@pytest.mark.parametrize("share", [D("0"), D("-5"), D("100.01"), D("12.345")])
def test_zero_negative_over_100_or_sub_cent_share_is_refused(member, share):
    with pytest.raises(ApplicationError) as e:
        _add(member, "Anak", share)
    assert "share_percent" in e.value.fields
    assert not member.heirs.exists()


def test_member_page_shows_the_refusal_on_the_share_field(tenant_a, member):
    _add(member, "Anak Satu", D("60"))
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("petugas"))
    r = c.post(
        reverse("members:detail", args=[member.pk]),
        {"full_name": "Anak Dua", "relationship": "anak", "share_percent": "60"},
    )
    assert r.status_code == 200  # the form again, with its error
    form = r.context["heir_form"]
    assert form.errors["share_percent"] == ["Paling banyak 40% (sisa dari 100%)."]
    assert "120%" in form.non_field_errors()[0]
    assert "Paling banyak 40% (sisa dari 100%)." in r.content.decode()
    assert member.heirs.count() == 1


def test_two_clerks_adding_at_once_cannot_both_pass(scratch_tenant):
    """Clerk 1 has added a 60 % heir and not committed yet when clerk 2 adds another 60 %:
    clerk 2 waits for the member row, then sees clerk 1's heir and is refused."""
    connection.set_tenant(scratch_tenant)
    member = f.member()
    results = two_clerks(
        scratch_tenant,
        lambda: _add(member, "Anak Satu", D("60")),
        lambda: _add(member, "Anak Dua", D("60")),
    )
    assert results == {"1": "ok", "2": "member_heir_shares_over_100"}
    assert list(Heir.objects.filter(member=member).values_list("full_name", flat=True)) == [
        "Anak Satu"
    ]


def test_clerk_deactivates_a_wrong_heir_on_the_member_page_then_adds_the_right_one(
    tenant_a, member
):
    """An heir recorded by mistake (or divorced, or deceased) at 100 % blocked every
    other heir for good: nothing could take them off. Now the member page deactivates
    an heir with a reason (kept in the history and the audit log); a reason is
    required; the pengawas cannot."""
    wrong = _add(member, "Istri (cerai)", D("100"))
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("pengawas"))
    url = reverse("members:detail", args=[member.pk])
    assert c.post(url, {"deactivate_heir": wrong.pk, "heir_reason": "cerai"}).status_code == 403
    c.force_login(f.user("petugas"))
    r = c.post(url, {"deactivate_heir": wrong.pk, "heir_reason": "  "}, follow=True)
    assert "Alasan wajib diisi" in r.content.decode()
    assert Heir.objects.get(pk=wrong.pk).is_active
    r = c.post(url, {"deactivate_heir": wrong.pk, "heir_reason": "akta cerai 2025"})
    assert r.status_code == 302
    assert not Heir.objects.get(pk=wrong.pk).is_active
    ev = AuditEvent.objects.get(action="member.heir_deactivate")
    assert ev.reason == "akta cerai 2025" and ev.data["heir"] == "Istri (cerai)"
    assert member.changes.filter(field="heir", reason="akta cerai 2025").exists()
    _add(member, "Anak", D("100"))
    assert member.heirs.filter(is_active=True).count() == 1


@pytest.mark.parametrize("status", ["deceased", "resigned"])
def test_no_heir_added_to_a_member_who_has_left(member, status):
    """Once the exit is settled the payout is made: an heir added afterwards (a share of
    money already paid out) is refused, as taking one off is."""
    from django.utils import timezone

    from core.members.services import member_status_set

    member_status_set(
        member=member, status=status, on=timezone.localdate(), reason="keluar", by="tests"
    )
    with pytest.raises(ApplicationError) as e:
        _add(member, "Ahli Baru", D("50"))
    assert e.value.code == "member_not_active"
    assert not Heir.objects.filter(member=member).exists()


@pytest.mark.parametrize(
    ("typed", "stored"), [("33,5", D("33.5")), ("33,5%", D("33.5")), ("25", D("25"))]
)
def test_member_page_reads_the_share_as_the_app_writes_it(tenant_a, member, typed, stored):
    """The page writes shares with a decimal comma ("Paling banyak 33,5%"); the clerk
    types them back the same way and the share is recorded."""
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("petugas"))
    r = c.post(
        reverse("members:detail", args=[member.pk]),
        {"full_name": "Anak Satu", "relationship": "anak", "share_percent": typed},
    )
    assert r.status_code == 302, r.context["heir_form"].errors
    assert list(member.heirs.values_list("share_percent", flat=True)) == [stored]


@pytest.mark.parametrize("typed", ["abc", "NaN", "33,555", "-5", "1e2"])
def test_member_page_refuses_a_share_that_is_not_a_percentage(tenant_a, member, typed):
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("petugas"))
    r = c.post(
        reverse("members:detail", args=[member.pk]),
        {"full_name": "Anak Satu", "relationship": "anak", "share_percent": typed},
    )
    assert r.status_code == 200
    assert r.context["heir_form"].errors["share_percent"]
    assert not member.heirs.exists()
