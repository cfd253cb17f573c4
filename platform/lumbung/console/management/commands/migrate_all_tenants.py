"""manage.py migrate_all_tenants [--processes N] [--schema S ...] [--dry-run] [--every-schema]
                                [--no-fast-path] [--plain-executor]

Migrate every cooperative's schema that lacks a migration: which ones is read first from
all schemas' migration records in one query (schemas already current are not opened),
then they are migrated in parallel with progress lines and an ETA; a failing tenant is
reported and the others carry on; the template schema is refreshed when anything was
applied. Re-running applies only what is left. Exit status 1 when any tenant failed.

Schemas lacking the same migrations of schema operations and RunSQL take the fast path:
what Django sends to one of them is recorded and replayed to the others
(lumbung.console.fastpath); the rest (RunPython among it) go through Django's executor.
``--no-fast-path`` sends every schema through the executor. The executor builds the
project states once per process for the schemas lacking the same migrations
(lumbung.console.executor); ``--plain-executor`` runs django-tenants' ``migrate_schemas``
for each of those schemas instead."""

from django.core.management.base import BaseCommand, CommandError

from lumbung.console.migrate import (
    MigrationPlan,
    migrate_all,
    migrate_schema,
    migrate_schema_sharing,
    migration_plan,
    tenant_schemas,
)
from lumbung.console.models import MigrationRun


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Command(BaseCommand):
    help = (
        "Migrasikan skema koperasi yang tertinggal migrasi secara paralel (skema yang sudah "
        "mutakhir tidak dibuka); lanjut bila satu gagal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=2)
        parser.add_argument("--schema", action="append", dest="schemas")
        parser.add_argument(
            "--dry-run", action="store_true", help="only print which schemas lack what"
        )
        parser.add_argument(
            "--every-schema",
            action="store_true",
            help="open every schema, also those already current (the old, slow way)",
        )
        parser.add_argument(
            "--no-template", action="store_true", help="do not refresh the template schema"
        )
        parser.add_argument(
            "--no-fast-path",
            action="store_true",
            help="migrate every schema with Django's executor (no recorded DDL replay)",
        )
        parser.add_argument(
            "--plain-executor",
            action="store_true",
            help="migrate_schemas for each schema left to the executor (no shared states)",
        )
        # accepted for symmetry with migrate_schemas (the command never prompts)
        parser.add_argument("--noinput", "--no-input", action="store_true")

    def _print_plan(self, plan: MigrationPlan, verbosity: int) -> None:
        self.stdout.write(
            f"Rencana ({plan.seconds:.2f} s, {plan.expected} migrasi di disk): "
            f"{plan.total} skema, {len(plan.current)} sudah mutakhir (tidak dibuka), "
            f"{len(plan.pending)} perlu dimigrasikan."
        )
        if verbosity >= 2:
            for schema, missing in plan.pending.items():
                self.stdout.write(f"  {schema}: {', '.join(missing)}")

    def handle(
        self,
        *args,
        processes,
        schemas,
        dry_run,
        every_schema,
        no_template,
        no_fast_path,
        plain_executor,
        **options,
    ):
        verbosity = options.get("verbosity", 1)
        if dry_run:
            plan = migration_plan(tenant_schemas() if schemas is None else schemas)
            self._print_plan(plan, max(verbosity, 2))
            return
        run = MigrationRun.objects.create(started_by="manage.py migrate_all_tenants")

        def progress(i, total, res):
            mark = "ok" if res.ok else "GAGAL"
            how = {"fast": ", cepat", "reference": ", rujukan jalur cepat"}.get(res.how, "")
            eta = f", sisa ±{_duration(res.eta)}" if res.eta and i < total else ""
            line = f"[{i}/{total}] {res.schema}: {mark} ({res.seconds:.2f} s{how}{eta})"
            if res.note:
                line += f" [{res.note}]"
            if res.ok:
                self.stdout.write(line)
            else:
                self.stdout.write(self.style.ERROR(f"{line} — {res.error}"))

        result = migrate_all(
            schemas=schemas,
            processes=processes,
            run=run,
            progress=progress,
            every_schema=every_schema,
            refresh_template=not no_template,
            planned=lambda plan: self._print_plan(plan, verbosity),
            fast=not no_fast_path,
            migrate_one=migrate_schema if plain_executor else migrate_schema_sharing,
        )
        done = len(result.results)
        fast = sum(1 for r in result.results if r.how in ("fast", "reference"))
        if fast:
            self.stdout.write(f"Jalur cepat (DDL yang sama sekali hitung): {fast} skema.")
        for note in result.fast_notes:
            self.stdout.write(f"Tanpa jalur cepat: {note}")
        if result.template == "refreshed":
            self.stdout.write("Skema templat diperbarui.")
        elif result.template.startswith("failed"):
            self.stdout.write(
                self.style.ERROR(f"Skema templat gagal diperbarui: {result.template}")
            )
        if result.failed:
            self.stdout.write(self.style.ERROR(f"{len(result.failed)} dari {done} skema gagal:"))
            for res in result.failed:
                self.stdout.write(f"  {res.schema}: {res.error}")
        if not result.ok:
            raise CommandError("Sebagian skema gagal dimigrasikan.")
        self.stdout.write(self.style.SUCCESS(f"{done} skema dimigrasikan."))
