"""Registering members when numbers or identifiers are already taken: by a member
imported with the previous system's number, by a number typed in another case, or by a
clerk registering the same person at the same moment (two real connections)."""

from datetime import date

import pytest
from django.db import connection

from core.common.errors import ApplicationError
from core.members.models import Member
from core.members.services import member_create
from tests.concurrency import two_clerks
from tests.members import factories as f


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


def _create(agency, *, nip=None, nik=None, number="", name="Budi Santoso"):
    if nip is None:
        nip, nik = f.unique_ids()
    return member_create(
        by="tests",
        full_name=name,
        nip=nip,
        nik=nik,
        agency=agency,
        join_date=date(2020, 1, 2),
        number=number,
    )


def test_automatic_number_skips_a_number_already_given_by_hand(agency):
    """Members moved in with their old numbers (``A00001``, ``A00002``) — the pattern's
    own next numbers — do not make the next registration a server error: it gets the
    first free number of the pattern."""
    _create(agency, number="A00001")
    _create(agency, number="A00002")
    m = _create(agency)
    assert m.number == "A00003"
    assert _create(agency).number == "A00004"


def test_member_number_typed_in_another_case_is_a_duplicate(agency):
    _create(agency, number="KP-001")
    with pytest.raises(ApplicationError) as e:
        _create(agency, number=" kp-001 ")
    assert e.value.code == "member_duplicate_number"
    assert Member.objects.filter(number__iexact="kp-001").count() == 1


@pytest.mark.parametrize("numbered", [False, True])
def test_same_person_registered_twice_at_once_is_refused_not_a_server_error(
    scratch_tenant, numbered
):
    """Clerk 1 has registered the NIP and not committed yet when clerk 2 registers the
    same person: clerk 2 is refused with the duplicate-NIP message (not an
    IntegrityError), and the numbering has no gap."""
    connection.set_tenant(scratch_tenant)
    ag = f.agency()
    nip, nik = f.unique_ids()
    results = two_clerks(
        scratch_tenant,
        lambda: _create(ag, nip=nip, nik=nik, number="X-1" if numbered else ""),
        lambda: _create(ag, nip=nip, nik=nik, number="X-2" if numbered else ""),
    )
    assert results == {"1": "ok", "2": "member_duplicate_nip"}
    assert Member.objects.filter(nip=nip).count() == 1
    if not numbered:
        # the refused registration gave its number back: the next one follows on
        assert _create(ag).number == "A00002"


def test_former_member_registered_again_twice_at_once_is_refused_not_a_server_error(
    scratch_tenant,
):
    """Two clerks register the same former member again at the same moment (numbers
    typed by hand, so neither waits on the numbering): the second insert waits on the
    first's uncommitted row and is then refused as a duplicate NIP, whichever of the
    unique indexes (current NIP, one successor per old record) stops it."""
    from core.members.services import member_status_set

    connection.set_tenant(scratch_tenant)
    ag = f.agency()
    nip, nik = f.unique_ids()
    old = _create(ag, nip=nip, nik=nik, number="OLD-1")
    member_status_set(member=old, status="resigned", on=date(2024, 5, 31), reason="x", by="t")
    results = two_clerks(
        scratch_tenant,
        lambda: _create(ag, nip=nip, nik=nik, number="NEW-1"),
        lambda: _create(ag, nip=nip, nik=nik, number="NEW-2"),
    )
    assert results == {"1": "ok", "2": "member_duplicate_nip"}
    assert list(Member.objects.filter(nip=nip).order_by("pk").values_list("number", "status")) == [
        ("OLD-1", "resigned"),
        ("NEW-1", "active"),
    ]
