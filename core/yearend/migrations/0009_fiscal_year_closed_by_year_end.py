"""Years closed through the year end before the ledger's mark existed
(``FiscalYear.closed_by_year_end``, ledger 0026): marked, so the ledger's period reopen
refuses them whatever their SHU. Before, it refused only a year whose SHU had moved to
SHU belum dibagi: a year closed with a zero SHU reopened in the ledger while its
``YearEnd`` stayed closed. Marked: the ledger's year closed and its ``YearEnd`` closed or
posted; a year reopened by the year end, or closed by the ledger alone, stays unmarked
(its way out is the ledger's reopen, docs/yearend.md). A ``YearEnd`` still closed whose
ledger year was reopened in the ledger already (the hole) is left as it is: it cannot be
marked (the year is open) and its tax entry, if any, is still posted — support puts it
right by hand."""

from django.db import migrations

CLOSED_HERE = ("closed", "posted")


def forwards(apps, schema_editor):
    FiscalYear = apps.get_model("ledger", "FiscalYear")
    YearEnd = apps.get_model("yearend", "YearEnd")
    years = list(YearEnd.objects.filter(status__in=CLOSED_HERE).values_list("year", flat=True))
    FiscalYear.objects.filter(status="closed", year__in=years).update(closed_by_year_end=True)
    FiscalYear.objects.filter(closed_by_year_end=True).exclude(year__in=years).update(
        closed_by_year_end=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("yearend", "0008_payout_reversal"),
        ("ledger", "0026_fiscal_year_closed_by_year_end"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
