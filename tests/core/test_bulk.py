"""``core.common.bulk``: the set-based writes store exactly what ``save()`` would, whether
a value already has the column's Python type (passed as is) or not (converted by the
field, as ``save()`` converts it); a value the field refuses is refused."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.bulk import bulk_insert_values, bulk_update_values
from core.savings.models import SavingsProduct
from tests.members import factories as f

D = Decimal
AUDIT_FIELDS = ("actor_id", "actor_label", "action", "target_type", "target_id", "reason", "data")


def _row(obj, fields):
    return tuple(getattr(obj, name) for name in fields)


@pytest.mark.django_db
def test_insert_stores_what_save_stores(in_tenant_a):
    user = f.user("bendahara")
    specs = [
        {"actor": user, "actor_label": "u", "action": "a.b", "target_id": "7", "data": {}},
        # an int for a text column and a nested JSON value: converted as save() converts
        {"actor": None, "actor_label": "sys", "action": "c", "target_id": 42, "data": {"k": [1]}},
        {"actor_label": "", "action": "d", "reason": "alasan", "data": {"n": None}},
    ]
    saved = [AuditEvent.objects.create(**s) for s in specs]
    bulk = [AuditEvent(**s) for s in specs]
    before = timezone.now()
    bulk_insert_values(AuditEvent, bulk)
    assert all(o.pk and not o._state.adding for o in bulk)
    fresh = AuditEvent.objects.in_bulk([o.pk for o in bulk])
    for want, got in zip(saved, bulk, strict=True):
        row = fresh[got.pk]
        assert _row(row, AUDIT_FIELDS) == _row(AuditEvent.objects.get(pk=want.pk), AUDIT_FIELDS)
        assert row.created_at >= before  # auto_now_add filled in, as save() does
    assert fresh[bulk[1].pk].target_id == "42"


@pytest.mark.django_db
def test_update_converts_what_is_not_of_the_column_type(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    products = list(SavingsProduct.objects.order_by("pk")[:3])
    values = [Decimal("1500"), 2500, "3500.50"]  # Decimal as is; int and str converted
    dates = [date(2026, 1, 1), datetime(2026, 2, 3, 10, 0, tzinfo=UTC), None]
    terms = [12, "24", None]
    for p, v, d, t in zip(products, values, dates, terms, strict=True):
        p.amount, p.effective_from, p.term_months = v, d, t
    assert bulk_update_values(SavingsProduct, products, ["amount", "effective_from", "term_months"])
    got = SavingsProduct.objects.in_bulk([p.pk for p in products])
    assert [got[p.pk].amount for p in products] == [D("1500"), D("2500"), D("3500.50")]
    assert [got[p.pk].effective_from for p in products] == [
        date(2026, 1, 1),
        date(2026, 2, 3),
        None,
    ]
    assert [got[p.pk].term_months for p in products] == [12, 24, None]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), "banyak"])
def test_a_value_the_field_refuses_is_refused(in_tenant_a, bad):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    product = SavingsProduct.objects.order_by("pk").first()
    product.amount = bad
    with pytest.raises(ValidationError):
        bulk_update_values(SavingsProduct, [product], ["amount"])


@pytest.mark.django_db
def test_datetimes_aware_as_is_naive_made_aware_as_save_does(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    p1, p2 = SavingsProduct.objects.order_by("pk")[:2]
    aware = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    naive = datetime(2026, 3, 4, 5, 6, 7)
    p1.updated_at, p2.updated_at = aware, naive
    with pytest.warns(RuntimeWarning):  # Django's own warning for the naive datetime
        bulk_update_values(SavingsProduct, [p1, p2], ["updated_at"])
    got = SavingsProduct.objects.in_bulk([p1.pk, p2.pk])
    assert got[p1.pk].updated_at == aware
    assert got[p2.pk].updated_at == timezone.make_aware(naive, timezone.get_current_timezone())


TRICKY = ['a"b', "c\\d", "NULL", "", " lead and trail ", "{x,y}", "koma, titik; 'kutip'", "ü ñ 中"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pg_type", "values"),
    [
        ("bigint", [1, -2, 10**15, None]),
        ("numeric(18,2)", [D("1500.00"), D("0"), D("-0.5"), D("1E+3"), None]),
        ("date", [date(2026, 12, 5), date(1, 1, 1), None]),
        ("timestamptz", [datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC), None]),
        ("boolean", [True, False, None]),
        ("text", [*TRICKY, None]),
        ("varchar(30)", TRICKY),
    ],
)
def test_array_text_reads_back_as_the_values(in_tenant_a, pg_type, values):
    """The array text form is read by the server as exactly the values: each type's
    text input, strings with quotes, backslashes, braces, commas, "NULL" and spaces."""
    from django.db import connection

    from core.common.bulk import array_text

    text = array_text(values)
    assert text is not None
    with connection.cursor() as cur:
        cur.execute(f"SELECT unnest(%s::{pg_type}[])", [text])
        assert [r[0] for r in cur.fetchall()] == values


def test_array_text_leaves_other_types_to_psycopg2():
    from core.common.bulk import array_text

    assert array_text([1, 1.5]) is None
    assert array_text([D("NaN")]) is None
    assert array_text([datetime(2026, 1, 1)]) is None  # naive: save() makes it aware first
    assert array_text([b"x"]) is None
    assert array_text([]) == "{}"


@pytest.mark.django_db
def test_insert_stores_tricky_strings_and_json_as_save_does(in_tenant_a):
    specs = [
        {"actor_label": s, "action": "t", "target_repr": s, "data": {"s": s, "l": [s, None]}}
        for s in TRICKY
    ]
    saved = [AuditEvent.objects.create(**s) for s in specs]
    bulk = [AuditEvent(**s) for s in specs]
    bulk_insert_values(AuditEvent, bulk)
    fields = ("actor_label", "action", "target_repr", "data")
    fresh = AuditEvent.objects.in_bulk([o.pk for o in bulk])
    for want, got in zip(saved, bulk, strict=True):
        assert _row(fresh[got.pk], fields) == _row(AuditEvent.objects.get(pk=want.pk), fields)
