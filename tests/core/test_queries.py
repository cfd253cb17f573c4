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
