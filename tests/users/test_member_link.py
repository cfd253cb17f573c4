"""A new ``anggota`` login given a member number (the users' screen) is linked to that
member, unless the member has left: their record is read-only, as on the member's own
screen (``member_user_link``)."""

from datetime import date

import pytest

from core.common.errors import ApplicationError
from core.members.models import Member
from core.members.services import member_status_set
from core.users import services as users
from tests.members import factories as f


def _create(member: Member):
    return users.user_create(
        by=f.user("admin"),
        email="sri@contoh.id",
        full_name="Sri",
        role="anggota",
        password="Kuat-Sekali-99",
        member_number=member.number,
    )


def test_new_login_is_linked_to_an_active_member(in_tenant_a):
    m = f.member()
    login = _create(m)
    assert Member.objects.get(pk=m.pk).user_id == login.pk


def test_new_login_is_not_linked_to_a_member_who_left(in_tenant_a):
    m = f.member(full_name="Sri Handayani")
    member_status_set(member=m, status="retired", on=date(2024, 5, 31), reason="x", by="t")
    with pytest.raises(ApplicationError) as e:
        _create(m)
    assert e.value.code == "member_not_active"
    assert "Sri Handayani" in e.value.message and "31 Mei 2024" in e.value.message
    assert Member.objects.get(pk=m.pk).user_id is None
