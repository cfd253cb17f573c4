"""``core.common.queries.exists_each``: the same answers as ``qs.exists()`` one by one,
filters, parameters and slices included, in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.common.queries import exists_each
from core.members.models import Member
from core.users.models import User
from tests.members import factories as f


@pytest.mark.django_db
def test_answers_as_exists_does_in_one_query(in_tenant_a):
    f.member(full_name="Siti Aminah")
    f.user("bendahara")
    staff = User.objects.filter(is_active=True).order_by("pk")
    querysets = [
        Member.objects.filter(full_name="Siti Aminah"),
        Member.objects.filter(full_name="Tidak Ada"),
        Member.objects.filter(full_name__in=["Tidak Ada", "Siti Aminah"]),
        staff[staff.count() - 1 : staff.count()],  # the last row: there
        staff[staff.count() : staff.count() + 1],  # past the end: not there
    ]
    with CaptureQueriesContext(connection) as ctx:
        got = exists_each(*querysets)
    assert len(ctx) == 1
    assert got == [True, False, True, True, False]
    assert got == [qs.exists() for qs in querysets]
    assert exists_each() == []


@pytest.mark.django_db
def test_any_of_finds_what_in_finds_with_the_values_as_one_parameter(in_tenant_a):
    """``field__any_of``: the rows ``field__in`` finds (text and key columns, a value
    not there, none at all), the values sent as one array of the column's type."""
    a, b = f.member(), f.member()
    cases = [
        ("nip", [a.nip, b.nip, "199001012015011999"]),
        ("number", [b.number]),
        ("pk", [a.pk, b.pk, 10**12]),
        ("nip", []),
    ]
    for field, values in cases:
        got = Member.objects.filter(**{f"{field}__any_of": values})
        assert sorted(got.values_list("pk", flat=True)) == sorted(
            Member.objects.filter(**{f"{field}__in": values}).values_list("pk", flat=True)
        )
        with CaptureQueriesContext(connection) as ctx:
            list(got)
        assert "= ANY(" in ctx[0]["sql"] and ctx[0]["sql"].count("ARRAY[") <= 1
