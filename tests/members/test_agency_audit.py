"""A change of an instansi is in the audit log with what each column was and became:
the payroll treasurer's e-mail and phone are where the monthly deduction lists go, so
the auditor must see who redirected them and from what."""

import pytest

from core.audit.models import AuditEvent
from core.members.services import agency_create, agency_update
from tests.members import factories as f


@pytest.fixture
def agency(in_tenant_a):
    return agency_create(
        by="tests",
        code="DISHUB",
        name="Dinas Perhubungan",
        treasurer_name="Yanti",
        treasurer_email="gaji@dishub.go.id",
        treasurer_phone="081234567890",
    )


def test_agency_update_audit_row_has_old_and_new_values(agency):
    admin = f.user("admin")
    agency_update(
        agency=agency,
        by=admin,
        code="DISHUB",
        name="Dinas Perhubungan",
        treasurer_name="Yanti",
        treasurer_email="lain@contoh.id",
        treasurer_phone="081234567891",
    )
    ev = AuditEvent.objects.filter(action="agency.update").latest("id")
    assert {c["field"]: (c["old"], c["new"]) for c in ev.data["changes"]} == {
        "treasurer_email": ("gaji@dishub.go.id", "lain@contoh.id"),
        "treasurer_phone": ("+6281234567890", "+6281234567891"),
    }


def test_agency_saved_unchanged_writes_no_empty_audit_row(agency):
    before = AuditEvent.objects.filter(action="agency.update").count()
    agency_update(
        agency=agency,
        by="tests",
        code="dishub",
        name="Dinas  Perhubungan",
        treasurer_name="Yanti",
        treasurer_email="gaji@dishub.go.id",
        treasurer_phone="0812-3456-7890",
    )
    assert AuditEvent.objects.filter(action="agency.update").count() == before
