"""The plans' feature lists (public home page, the cooperative's billing page) say only
what is built: every plan has every feature; plans differ by active members and staff
users, which are enforced (billing 0014)."""

import importlib

from django.apps import apps

from billing.models import Plan
from billing.selectors import plans_public

m0014 = importlib.import_module("billing.migrations.0014_plan_features_as_built")

NOT_BUILT_AS_A_PLAN_FEATURE = ("Dukungan prioritas", "Beberapa instansi potong gaji")


def test_no_plan_promises_a_feature_only_some_plans_have(db):
    plans = plans_public()
    listed = [f for p in plans for f in p.features]
    assert not [f for f in listed if f in NOT_BUILT_AS_A_PLAN_FEATURE]
    # the member portal is in every plan, so no plan above the smallest lists it as its own
    assert not [p.code for p in plans if p.code != "kecil" and "Portal anggota" in p.features]
    kecil = next(p for p in plans if p.code == "kecil")
    assert any("portal anggota" in f for f in kecil.features)


def test_the_lists_name_the_limits_each_plan_enforces(db):
    by_code = {p.code: p for p in plans_public()}
    assert by_code["kecil"].limits["staff_users"] == 3
    assert "3 pengguna pengurus" in by_code["kecil"].features
    assert by_code["sedang"].limits["staff_users"] == 10
    assert "10 pengguna pengurus" in by_code["sedang"].features
    assert by_code["besar"].limits["staff_users"] is None
    assert "Pengguna pengurus tanpa batas" in by_code["besar"].features


def test_a_list_an_operator_edited_is_left_as_it_is(db):
    Plan.objects.filter(code="sedang").update(features=m0014.SEEDED["sedang"])
    Plan.objects.filter(code="besar").update(features=["Ditulis operator"])
    m0014.backwards(apps, None)  # back to the seeded lists where still as built
    assert Plan.objects.get(code="kecil").features == m0014.SEEDED["kecil"]
    assert Plan.objects.get(code="besar").features == ["Ditulis operator"]
    m0014.forwards(apps, None)
    assert Plan.objects.get(code="sedang").features == m0014.AS_BUILT["sedang"]
    assert Plan.objects.get(code="kecil").features == m0014.AS_BUILT["kecil"]
    assert Plan.objects.get(code="besar").features == ["Ditulis operator"]
