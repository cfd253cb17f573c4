"""manage.py migrate_all_tenants [--processes N] [--schema S ...]

Migrate every cooperative's schema in parallel, printing progress; a failing tenant is
reported and the others carry on. Exit status 1 when any tenant failed."""

from django.core.management.base import BaseCommand, CommandError

from lumbung.console.migrate import migrate_all
from lumbung.console.models import MigrationRun


class Command(BaseCommand):
    help = "Migrasikan semua skema koperasi secara paralel; lanjut bila satu gagal."

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=2)
        parser.add_argument("--schema", action="append", dest="schemas")

    def handle(self, *args, processes, schemas, **options):
        run = MigrationRun.objects.create(started_by="manage.py migrate_all_tenants")

        def progress(i, total, res):
            mark = "ok" if res.ok else "GAGAL"
            line = f"[{i}/{total}] {res.schema}: {mark} ({res.seconds:.2f} s)"
            if res.ok:
                self.stdout.write(line)
            else:
                self.stdout.write(self.style.ERROR(f"{line} — {res.error}"))

        result = migrate_all(schemas=schemas, processes=processes, run=run, progress=progress)
        done = len(result.results)
        if result.failed:
            self.stdout.write(self.style.ERROR(f"{len(result.failed)} dari {done} skema gagal:"))
            for res in result.failed:
                self.stdout.write(f"  {res.schema}: {res.error}")
            raise CommandError("Sebagian skema gagal dimigrasikan.")
        self.stdout.write(self.style.SUCCESS(f"{done} skema dimigrasikan."))
