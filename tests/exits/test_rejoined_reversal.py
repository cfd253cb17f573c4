"""An exit settlement cannot be reversed once the person has joined again (a new
membership holds their NIP): the old record would be a second active member with the
same NIP. The refusal names the new membership; nothing changes."""

import pytest

from core.common.errors import ApplicationError
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.members.models import Member
from core.members.services import member_create
from tests.members import factories as f


def test_reversal_refused_after_the_member_joined_again(member_a, today):
    bendahara = f.user("bendahara")
    p = exit_settlement_preview(member=member_a, on=today)
    s = exit_settlement_confirm(
        member=member_a, reason="resigned", on=today, by=bendahara, expected_net=p.net_payable
    )
    new = member_create(
        by="t",
        full_name=member_a.full_name,
        nip=member_a.nip,
        nik=member_a.nik,
        agency=member_a.agency,
        join_date=today,
    )
    with pytest.raises(ApplicationError) as e:
        exit_settlement_reverse(settlement=s, by=bendahara, reason="salah")
    assert e.value.code == "exit_member_rejoined"
    assert new.number in e.value.message
    member_a.refresh_from_db()
    assert member_a.status == "resigned"
    s.refresh_from_db()
    assert s.reversed_at is None


def test_reversal_reopens_a_member_who_did_not_join_again(member_a, today):
    bendahara = f.user("bendahara")
    p = exit_settlement_preview(member=member_a, on=today)
    s = exit_settlement_confirm(
        member=member_a, reason="retired", on=today, by=bendahara, expected_net=p.net_payable
    )
    exit_settlement_reverse(settlement=s, by=bendahara, reason="salah")
    m = Member.objects.get(pk=member_a.pk)
    assert m.status == "active"
    # editable again
    from core.members.services import member_update

    member_update(member=m, by="t", full_name="Nama Baru")
    assert Member.objects.get(pk=m.pk).full_name == "Nama Baru"
