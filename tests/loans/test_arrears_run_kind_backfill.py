"""loans 0024 stores an arrears run's kind (``daily``/``as_of``) on the run: the rows
made before it are filled from their audit row (``as_of_past``), a run with no audit row
from its dates (made on a later day than it is dated: as of a past day)."""

import importlib
from datetime import timedelta
from decimal import Decimal as D

from django.apps import apps
from django.utils import timezone

from core.loans.arrears import loans_arrears_update
from core.loans.arrears_asof import loans_arrears_run
from core.loans.models import ArrearsRun
from tests.loans.test_arrears_as_of import _month_end_before, book  # noqa: F401 (fixture)

migration = importlib.import_module("core.loans.migrations.0024_arrearsrun_kind")


def test_old_runs_get_their_kind_from_their_audit_row(book, staff, today):  # noqa: F811
    d = book[0]
    daily = loans_arrears_update(on=today)
    as_of = loans_arrears_run(on=d, by=staff["bendahara"]).run
    # a run without its audit row (made before runs had one), made after its date, and
    # one dated the day it was made
    orphan = ArrearsRun.objects.create(
        on=today - timedelta(days=3), ppap_before=D(0), ppap_after=D(0)
    )
    same_day = ArrearsRun.objects.create(on=today, ppap_before=D(0), ppap_after=D(0))
    # runs before loans 0031 were stamped by the app's clock (PostgreSQL's is not faked
    # when the suite runs under another date)
    ArrearsRun.objects.filter(pk__in=[orphan.pk, same_day.pk]).update(created_at=timezone.now())
    ArrearsRun.objects.update(kind="daily")  # as 0024's new column leaves old rows

    migration.kind_from_audit(apps, None)

    kinds = dict(ArrearsRun.objects.values_list("pk", "kind"))
    assert kinds == {
        daily.pk: "daily",
        as_of.pk: "as_of",
        orphan.pk: "as_of",
        same_day.pk: "daily",
    }
