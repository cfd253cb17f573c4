from decimal import Decimal

import pytest

from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def eager(monkeypatch):
    from lumbung.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


def test_demo_seeder_is_idempotent_and_reconciled(in_tenant_a):
    from core.members.models import Agency, Member
    from core.savings.models import SavingsTransaction
    from core.savings.seeding import savings_demo_seed

    savings_demo_seed(cooperative=in_tenant_a)
    counts = (Agency.objects.count(), Member.objects.count(), SavingsTransaction.objects.count())
    assert counts[0] >= 3 and counts[1] >= 60
    assert Agency.objects.filter(name="RSUD dr. Doris Sylvanus").exists()
    from core.members.validators import parse_nik, parse_nip

    for m in Member.objects.all():
        assert parse_nik(m.nik).province == "62"
        assert parse_nip(m.nip).birth_date == m.birth_date
    assert SavingsTransaction.objects.filter(account__product__kind="pokok").count() >= 60
    assert SavingsTransaction.objects.filter(account__product__kind="sukarela").exists()
    assert_reconciled()
    savings_demo_seed(cooperative=in_tenant_a)
    assert (
        Agency.objects.count(),
        Member.objects.count(),
        SavingsTransaction.objects.count(),
    ) == counts
    assert_reconciled()
    f.member()  # the registry still works after the demo
