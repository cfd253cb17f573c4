"""Member numbers are unique in any case, in the database too: ``kp-001`` cannot be
written next to ``KP-001`` even by a write that skips the services (the import's COPY,
a script). The migration that adds the rule stops, naming them, when numbers that differ
only in case are already there."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction

from core.common.errors import ApplicationError
from core.members.models import Member
from core.members.services import _save_or_duplicate
from tests.members import factories as f

migration = importlib.import_module("core.members.migrations.0007_rejoin_and_number_upper")


def _row(agency, number: str) -> Member:
    nip, nik = f.unique_ids()
    return Member(
        number=number,
        full_name="X",
        nip=nip,
        nik=nik,
        agency=agency,
        join_date=date(2020, 1, 2),
    )


def test_database_refuses_a_number_differing_only_in_case(in_tenant_a):
    ag = f.agency()
    _row(ag, "KP-001").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(ag, "kp-001").save()


def test_number_taken_in_another_case_meanwhile_is_the_duplicate_message(in_tenant_a):
    """The constraint's error (another clerk's registration committed after the
    service's own check) is the service's refusal, not a server error."""
    ag = f.agency()
    _row(ag, "kp-009").save()
    with pytest.raises(ApplicationError) as e:
        _save_or_duplicate(_row(ag, "KP-009"), create=True)
    assert e.value.code == "member_duplicate_number"
    assert "KP-009" in e.value.message
    assert Member.objects.filter(number__iexact="kp-009").count() == 1


def test_migration_check_names_numbers_that_differ_only_in_case(in_tenant_a):
    ag = f.agency()
    with transaction.atomic():
        # the rule is dropped for this transaction to stand for data from before it
        with in_tenant_a_cursor() as cur:
            cur.execute("DROP INDEX members_member_number_upper_uniq")
        _row(ag, "KP-001").save()
        _row(ag, "kp-001").save()
        _row(ag, "A7").save()
        with pytest.raises(RuntimeError) as e:
            migration.number_case_duplicates_refuse(django_apps, None)
        assert "KP-001" in str(e.value) and "kp-001" in str(e.value)
        assert "A7" not in str(e.value)
        transaction.set_rollback(True)


def test_migration_check_passes_when_numbers_differ(in_tenant_a):
    ag = f.agency()
    _row(ag, "KP-001").save()
    _row(ag, "KP-002").save()
    migration.number_case_duplicates_refuse(django_apps, None)


def in_tenant_a_cursor():
    return connection.cursor()
