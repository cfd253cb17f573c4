"""manage.py dinas_backfill_trends [--months 12] [--cooperative SLUG ...] [--queue]

Back-fill the Dinas profile's monthly trend for the months before the first refresh:
for each consenting cooperative, each of the last N months without a figure gets one
computed from its ledger as it stood at the month's end (no NPL: kolektibilitas is not
kept historically). A refreshed month is never overwritten; running it again writes
nothing new. ``--queue`` posts one Celery task per cooperative instead."""

from django.core.management.base import BaseCommand, CommandError

from lumbung.dinas.refresh import cooperatives_to_refresh, indicators_backfill_one
from lumbung.dinas.tasks import dinas_trend_backfill_task
from tenants.models import Cooperative


class Command(BaseCommand):
    help = "Isi tren 12 bulan profil Dinas dari buku besar untuk bulan sebelum pembaruan pertama."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--cooperative", action="append", default=[], metavar="SLUG")
        parser.add_argument("--queue", action="store_true", help="satu tugas Celery per koperasi")

    def handle(self, *args, months, cooperative, queue, **options):
        if not 1 <= months <= 60:
            raise CommandError("--months: 1 sampai 60")
        if cooperative:
            found = dict(
                Cooperative.objects.filter(slug__in=cooperative, is_practice=False).values_list(
                    "slug", "pk"
                )
            )
            missing = sorted(set(cooperative) - set(found))
            if missing:
                raise CommandError(f"Koperasi tidak dikenal: {', '.join(missing)}")
            ids = [found[s] for s in cooperative]
        else:
            ids = cooperatives_to_refresh()
        written = failed = 0
        for pk in ids:
            if queue:
                dinas_trend_backfill_task.delay(pk, months)
                continue
            try:
                written += indicators_backfill_one(cooperative_id=pk, months=months)
            except Exception as exc:  # one broken schema does not stop the others
                failed += 1
                self.stderr.write(f"{pk}: {type(exc).__name__}: {exc}")
        if queue:
            self.stdout.write(self.style.SUCCESS(f"{len(ids)} tugas diantrekan"))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"{len(ids)} koperasi, {written} bulan diisi, {failed} gagal")
            )
