"""``core.common.loading.FastFromDb``: a model loaded without ``__init__`` is the instance
Django's own ``from_db`` builds (same field values, deferred fields, state, related
objects of ``select_related``), and Django's path is taken when a receiver listens to
``pre_init``/``post_init``."""

import inspect
from datetime import date

import pytest
from django.apps import apps
from django.db.models import Model, signals

from core.common.loading import FastFromDb
from core.loans.models import Loan
from core.members.models import Member
from core.savings.models import SavingsAccount, SavingsProduct
from core.savings.services import savings_account_open
from tests.members import factories as f


def _django_from_db(model, db, names, values):
    return Model.from_db.__func__(model, db, names, values)


def _same(a, b) -> None:
    assert type(a) is type(b)
    assert {k: v for k, v in a.__dict__.items() if k != "_state"} == {
        k: v for k, v in b.__dict__.items() if k != "_state"
    }
    assert (a._state.adding, a._state.db) == (b._state.adding, b._state.db) == (False, "default")
    assert a.get_deferred_fields() == b.get_deferred_fields()


def test_models_using_it_define_no_init():
    users = [m for m in apps.get_models() if issubclass(m, FastFromDb)]
    assert Member in users and Loan in users and SavingsAccount in users
    for model in users:
        assert "__init__" not in vars(model), model
        assert inspect.getattr_static(model, "from_db").__func__ is FastFromDb.from_db.__func__


@pytest.mark.django_db
def test_loaded_instance_equals_djangos(in_tenant_a):
    member = f.MemberFactory()
    names = [fl.attname for fl in Member._meta.concrete_fields]
    values = list(Member.objects.filter(pk=member.pk).values_list(*names).get())
    fast = Member.from_db("default", names, values)
    slow = _django_from_db(Member, "default", names, values)
    _same(fast, slow)
    # a queryset goes through it too, and saving what it loaded is an UPDATE of the row
    got = Member.objects.get(pk=member.pk)
    _same(got, slow)
    got.full_name = "Nama Baru"
    got.save(update_fields=["full_name"])
    assert Member.objects.get(pk=member.pk).full_name == "Nama Baru"
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_deferred_fields_stay_deferred_and_load_on_access(in_tenant_a, django_assert_num_queries):
    member = f.MemberFactory()
    got = Member.objects.only("id", "number").get(pk=member.pk)
    names = ["id", "number"]
    _same(got, _django_from_db(Member, "default", names, [member.pk, member.number]))
    assert "full_name" in got.get_deferred_fields()
    with django_assert_num_queries(1):
        assert got.full_name == member.full_name


@pytest.mark.django_db
def test_select_related_objects_are_cached(in_tenant_a, django_assert_num_queries):
    member = f.MemberFactory()
    product = SavingsProduct.objects.filter(kind=SavingsProduct.Kind.SUKARELA).first()
    account = savings_account_open(member=member, product=product, on=date(2026, 1, 5))
    got = SavingsAccount.objects.select_related("member").get(pk=account.pk)
    with django_assert_num_queries(0):
        assert got.member.pk == member.pk
        assert got.member.full_name == member.full_name


@pytest.mark.django_db
def test_init_signal_receivers_get_djangos_path(in_tenant_a):
    member = f.MemberFactory()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    signals.post_init.connect(receiver, sender=Member)
    try:
        Member.objects.get(pk=member.pk)
    finally:
        signals.post_init.disconnect(receiver, sender=Member)
    assert seen == [member.pk]
