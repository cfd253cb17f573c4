"""Record the lines of the upgrades invoiced before UpgradeDifference existed (0015): for
each (not void) prorated invoice, the later periods whose renewal it topped up, by the
rule that billed them then (a renewal issued before the upgrade whose first day the
upgrade's span holds; the difference from the dearest price already paid for that period
to the upgrade's plan, with its own DPP and PPN at the invoice's rate), one per period.
What those upgrades billed was not itemised, so these figures are the ones the credit
was computed from until now."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations

ONE = Decimal(1)


def _split(price, rate, includes_ppn):
    if includes_ppn:
        dpp = (price / (ONE + rate)).quantize(ONE, ROUND_HALF_UP)
        return dpp, price - dpp
    return price, (price * rate).quantize(ONE, ROUND_HALF_UP)


def _price(plan, interval):
    return plan.price_yearly if interval == "year" else plan.price_monthly


def forwards(apps, schema_editor):
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return  # billing tables live in the public schema only
    Invoice = apps.get_model("billing", "Invoice")
    UpgradeDifference = apps.get_model("billing", "UpgradeDifference")
    upgrades = (
        Invoice.objects.filter(kind="proration")
        .exclude(status="void")
        .exclude(pk__in=UpgradeDifference.objects.values("invoice_id"))
        .select_related("plan")
        .order_by("pk")
    )
    for up in upgrades:
        renewals = (
            Invoice.objects.filter(
                subscription_id=up.subscription_id,
                kind="subscription",
                period_start__gt=up.period_start,
                period_start__lte=up.period_end,
                pk__lt=up.pk,
            )
            .exclude(status="void")
            .select_related("plan")
            .order_by("pk")
        )
        left = up.amount
        rate = Decimal(up.ppn_rate if up.ppn_rate is not None else "0.11")
        seen = set()
        for renewal in renewals:
            if renewal.period_start in seen:
                continue
            earlier = UpgradeDifference.objects.filter(
                renewal=renewal, invoice__pk__lt=up.pk
            ).select_related("invoice__plan")
            level = max(
                [_price(renewal.plan, renewal.interval)]
                + [_price(line.invoice.plan, renewal.interval) for line in earlier]
            )
            difference = _price(up.plan, renewal.interval) - level
            if difference <= 0:
                continue
            dpp, ppn = _split(difference, rate, up.plan.prices_include_ppn)
            if dpp + ppn > left:
                continue
            UpgradeDifference.objects.create(
                invoice=up,
                renewal=renewal,
                period_start=renewal.period_start,
                amount=dpp + ppn,
                dpp=dpp,
                ppn=ppn,
            )
            left -= dpp + ppn
            seen.add(renewal.period_start)


class Migration(migrations.Migration):
    dependencies = [("billing", "0015_upgrade_difference")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
