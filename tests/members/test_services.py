from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.common.errors import ApplicationError
from core.members.models import Agency, Member, MemberChange
from core.members.services import (
    agency_create,
    heir_add,
    member_create,
    member_settings_update,
    member_update,
)

from . import factories as f


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


def test_member_create_fills_number_gender_and_birth_date(agency):
    nip, nik = f.unique_ids()
    m = member_create(
        by="tests",
        full_name="  Yohanes   Nyahu ",
        nip=nip,
        nik=nik,
        agency=agency,
        join_date=date(2021, 5, 3),
        golongan="iii/b",
        phone="0812 3456 7890",
    )
    assert m.number.startswith("A") and len(m.number) == 6
    assert m.full_name == "Yohanes Nyahu"
    assert m.golongan == "III/b"
    assert m.phone == "+6281234567890"
    assert m.gender == "L" and m.birth_date is not None


def test_member_number_follows_configured_pattern(agency):
    member_settings_update(number_pattern="KPRI-{year}-{seq:04d}", by="tests")
    m = f.member(agency_obj=agency, join_date=date(2024, 2, 1))
    assert m.number.startswith("KPRI-2024-")
    with pytest.raises(ApplicationError) as e:
        member_settings_update(number_pattern="{nope}", by="tests")
    assert e.value.code == "member_number_pattern"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("nip", "12345", "member_invalid"),
        ("nik", "627103150385000X", "member_invalid"),
        ("phone", "+1 555 0100", "member_invalid"),
        ("email", "bukan-email", "member_invalid"),
        ("golongan", "V/z", "member_invalid"),
        ("full_name", "   ", "member_invalid"),
    ],
)
def test_member_create_refuses_bad_input_and_writes_nothing(agency, field, value, code):
    nip, nik = f.unique_ids()
    data = {
        "full_name": "Ani",
        "nip": nip,
        "nik": nik,
        "agency": agency,
        "join_date": date(2022, 1, 3),
    }
    data[field] = value
    before = Member.objects.count()
    with pytest.raises(ApplicationError) as e:
        member_create(by="tests", **data)
    assert e.value.code == code
    assert field in e.value.fields
    assert Member.objects.count() == before


def test_duplicate_nip_or_nik_refused(agency):
    m = f.member(agency_obj=agency)
    nip, nik = f.unique_ids()
    with pytest.raises(ApplicationError) as e:
        member_create(
            by="tests", full_name="X", nip=m.nip, nik=nik, agency=agency, join_date=date(2022, 1, 3)
        )
    assert e.value.code == "member_duplicate_nip"
    with pytest.raises(ApplicationError) as e:
        member_create(
            by="tests", full_name="X", nip=nip, nik=m.nik, agency=agency, join_date=date(2022, 1, 3)
        )
    assert e.value.code == "member_duplicate_nik"
    assert Member.objects.filter(full_name="X").count() == 0


def test_inactive_agency_refused_for_new_member(agency):
    closed = Agency.objects.create(code="OLD", name="Dinas Lama", is_active=False)
    nip, nik = f.unique_ids()
    with pytest.raises(ApplicationError) as e:
        member_create(
            by="tests", full_name="X", nip=nip, nik=nik, agency=closed, join_date=date(2022, 1, 3)
        )
    assert "agency" in e.value.fields


def test_database_refuses_malformed_nip_even_without_the_service(agency):
    nip, nik = f.unique_ids()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            number="RAW1",
            full_name="Raw",
            nip="123",
            nik=nik,
            agency=agency,
            join_date=date(2022, 1, 1),
        )


def test_database_refuses_exit_date_on_active_member(agency):
    m = f.member(agency_obj=agency)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=m.pk).update(exit_date=date(2024, 1, 1))


def test_update_writes_history_per_field_and_history_is_immutable(agency):
    m = f.member(agency_obj=agency, golongan="III/a")
    member_update(
        member=m,
        by="tests",
        reason="SK kenaikan pangkat",
        golongan="III/b",
        take_home_pay="4.500.000",
    )
    rows = {c.field: c for c in MemberChange.objects.filter(member=m)}
    assert rows["golongan"].old_value == "III/a" and rows["golongan"].new_value == "III/b"
    assert rows["golongan"].reason == "SK kenaikan pangkat"
    assert Decimal(rows["take_home_pay"].new_value) == Decimal("4500000")
    # no-op update writes nothing
    member_update(member=m, by="tests", golongan="III/b")
    assert MemberChange.objects.filter(member=m, field="golongan").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberChange.objects.filter(member=m).update(new_value="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberChange.objects.filter(member=m).delete()


def test_update_refuses_status_change(agency):
    m = f.member(agency_obj=agency)
    with pytest.raises(ApplicationError):
        member_update(member=m, by="tests", status="retired")


def test_agency_duplicate_code_refused(in_tenant_a):
    agency_create(
        by="tests", code="rsud", name="RSUD dr. Doris Sylvanus", treasurer_phone="081234567890"
    )
    with pytest.raises(ApplicationError) as e:
        agency_create(by="tests", code="RSUD", name="Lain")
    assert e.value.code == "agency_duplicate_code"
    a = Agency.objects.get(code="RSUD")
    assert a.treasurer_phone == "+6281234567890"


def test_heir_requires_valid_nik_and_share(agency):
    m = f.member(agency_obj=agency)
    heir_add(
        member=m, by="tests", full_name="Maria", relationship="istri", share_percent=Decimal("100")
    )
    with pytest.raises(ApplicationError):
        heir_add(member=m, by="tests", full_name="Anak", relationship="anak", nik="123")
    with pytest.raises(ApplicationError):
        heir_add(
            member=m, by="tests", full_name="Anak", relationship="anak", share_percent=Decimal("0")
        )
    assert m.heirs.count() == 1


def test_search_by_name_nip_number_and_filters(agency):
    from core.members.selectors import member_search

    other = f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    a = f.member(agency_obj=agency, full_name="Kartini Tingang")
    b = f.member(agency_obj=other, full_name="Budi Santoso")
    assert list(member_search(q="kartini")) == [a]
    assert list(member_search(q=b.nip[:10])) == [b]
    assert list(member_search(q=a.number)) == [a]
    assert set(member_search(agency_id=other.pk)) == {b}
    assert b not in member_search(status="retired")


def test_link_anggota_login_for_the_portal(agency):
    from core.members.selectors import member_for_user
    from core.members.services import member_user_link

    m = f.member(agency_obj=agency)
    login = f.user("anggota")
    member_user_link(member=m, user=login, by="tests")
    assert member_for_user(login) == m
    assert m.changes.filter(field="user").exists()
    with pytest.raises(ApplicationError):
        member_user_link(member=f.member(agency_obj=agency), user=login, by="tests")
    with pytest.raises(ApplicationError):
        member_user_link(member=m, user=f.user("petugas"), by="tests")


def test_update_audit_row_shows_old_and_new_values(agency):
    """The auditor reading the audit log sees what a field was and what it became (a
    member's bank account changed before an exit payout is the case that matters), not
    only which fields changed."""
    from core.audit.models import AuditEvent

    m = f.member(agency_obj=agency, bank_account_number="1234567890")
    member_update(member=m, by="tests", reason="rekening baru", bank_account_number="999888777")
    ev = AuditEvent.objects.filter(action="member.update", target_id=str(m.pk)).get()
    assert ev.data["changes"] == [
        {"field": "bank_account_number", "old": "1234567890", "new": "999888777"}
    ]


def test_nip_correction_updates_birth_date_and_gender_from_the_new_nip(agency):
    """A mistyped NIP corrected on the edit screen: the birth date and gender read from
    it follow (they are not editable on their own), and the history says so."""
    m = f.member(agency_obj=agency, nip=f.make_nip(7, birth=(1980, 1, 1), appointed=(2005, 1)))
    assert (m.birth_date, m.gender) == (date(1980, 1, 1), "L")
    fixed = f.make_nip(7, female=True, birth=(1981, 2, 3), appointed=(2005, 1))
    # the NIK of a person born on another day is corrected with it (they must agree)
    member_update(member=m, by="tests", reason="salah ketik NIP", nip=fixed, nik=f.nik_for(fixed))
    m.refresh_from_db()
    assert m.nip == fixed
    assert (m.birth_date, m.gender) == (date(1981, 2, 3), "P")
    assert set(MemberChange.objects.filter(member=m).values_list("field", flat=True)) == {
        "nip",
        "nik",
        "birth_date",
        "gender",
    }
    # the edit screen sends the unchanged NIP back with every save: nothing more is written
    member_update(member=m, by="tests", nip=fixed, golongan="III/b")
    assert MemberChange.objects.filter(member=m, field="birth_date").count() == 1


@pytest.mark.parametrize("join", [date(1, 1, 1), date(1979, 12, 31), date(1949, 12, 31)])
def test_join_date_before_birth_or_absurdly_old_refused(agency, join):
    """A member cannot have joined before they were born (the NIP says 1-1-1980) nor
    before 1950 (the import's floor): the register refuses it naming the field."""
    nip = f.make_nip(8, birth=(1980, 1, 1), appointed=(2005, 1))
    _nip, nik = f.unique_ids()
    with pytest.raises(ApplicationError) as e:
        member_create(by="tests", full_name="Ani", nip=nip, nik=nik, agency=agency, join_date=join)
    assert e.value.code == "member_invalid" and "join_date" in e.value.fields
    assert not Member.objects.filter(nip=nip).exists()


def test_nip_correction_to_a_birth_after_the_join_date_refused(agency):
    m = f.member(agency_obj=agency, join_date=date(2000, 1, 3))
    later = f.make_nip(9, birth=(2001, 1, 1), appointed=(2020, 1))
    with pytest.raises(ApplicationError) as e:
        member_update(member=m, by="tests", nip=later)
    assert "nip" in e.value.fields
    m.refresh_from_db()
    assert m.nip != later
