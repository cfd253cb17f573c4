"""A reason the system writes into a member's change history (the portal login moved to
the new membership of a member who joined again) is said in the reader's language on the
member's page: kept as a code with its params beside the text (``core.common.said``). A
row kept before codes, and a reason a user typed, show as stored."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.members.models import MemberChange
from core.members.services import member_create, member_status_set, member_user_link
from tests.members import factories as f


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


def _history(client_a, member, lang: str) -> str:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    c.cookies["django_language"] = lang
    return c.get(reverse("members:detail", args=[member.pk])).content.decode()


def _rejoined(agency):
    today = timezone.localdate()
    old = f.member(agency_obj=agency, join_date=today - timedelta(days=400))
    member_user_link(member=old, user=f.user("anggota"), by="tests")
    member_status_set(
        member=old, status="resigned", on=today - timedelta(days=30), reason="uji", by="tests"
    )
    new = member_create(
        by="tests",
        full_name=old.full_name,
        nip=old.nip,
        nik=old.nik,
        agency=agency,
        join_date=today,
    )
    return old, new


def test_the_moved_login_is_said_in_the_readers_language(agency, client_a):
    old, new = _rejoined(agency)
    change = MemberChange.objects.filter(member=old, field="user").exclude(reason="").get()
    assert change.reason == f"Dipindahkan ke keanggotaan baru No. {new.number}."
    en = _history(client_a, old, "en")
    assert f"Moved to the new membership No. {new.number}." in en
    assert "Dipindahkan ke keanggotaan baru" not in en
    id_ = _history(client_a, old, "id")
    assert f"Dipindahkan ke keanggotaan baru No. {new.number}." in id_


def test_a_change_kept_before_codes_shows_its_stored_reason(agency, client_a):
    m = f.member(agency_obj=agency)
    MemberChange.objects.create(
        member=m, field="user", old_value="1", reason="Dipindahkan ke keanggotaan baru No. X."
    )
    assert "Dipindahkan ke keanggotaan baru No. X." in _history(client_a, m, "en")
