from django.core.management.base import BaseCommand, CommandError

from tenants.backup import BackupError, backup_path_for, cooperative_backup
from tenants.models import Cooperative


class Command(BaseCommand):
    help = (
        "Back up one cooperative: pg_dump of its schema (gzip, with its row counts). "
        "Restore it under another address with cooperative_restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--out",
            default=None,
            help="file to write (default: BACKUP_DIR/<slug>/<slug>-<time>.sql.gz)",
        )

    def handle(self, *args, slug, out, **opts):
        coop = Cooperative.objects.filter(slug=slug).exclude(schema_name="public").first()
        if coop is None:
            raise CommandError(f"No cooperative with the address {slug!r}")
        try:
            meta = cooperative_backup(cooperative=coop, out=out or backup_path_for(coop))
        except BackupError as exc:
            raise CommandError(str(exc))
        rows = sum(meta["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"{meta['file']}: {len(meta['counts'])} tables, {rows} rows, {meta['bytes']} bytes"
            )
        )
