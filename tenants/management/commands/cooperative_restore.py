from django.core.management.base import BaseCommand, CommandError

from core.common.errors import ApplicationError
from tenants.backup import BackupError, backup_meta, backups_of, cooperative_restore
from tenants.models import Cooperative
from tenants.services import public_tenant_ensure, tenant_url


class Command(BaseCommand):
    help = (
        "Restore a cooperative backup (cooperative_backup) as a NEW cooperative under "
        "another address, in a fresh schema: all or nothing; an existing address or "
        "schema is refused; every table's row count is checked against the backup. "
        "--of <slug>: the restore is for that cooperative (without FILE: its newest "
        "backup in BACKUP_DIR; --list: its backups); a backup of another cooperative "
        "(one deleted from the same address) is refused, as is one taken from the "
        "folder BACKUP_DIR/<slug>/ of a cooperative it is not of."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=None)
        parser.add_argument("--slug", help="the new address (<slug>.<BASE_DOMAIN>)")
        parser.add_argument(
            "--of",
            default=None,
            help="the address of the cooperative whose backup this is (checked); without "
            "FILE, its newest backup in BACKUP_DIR is restored",
        )
        parser.add_argument(
            "--list",
            action="store_true",
            help="with --of: list that cooperative's backups in BACKUP_DIR, newest first",
        )
        parser.add_argument(
            "--status",
            default=Cooperative.Status.SUSPENDED,
            choices=[
                Cooperative.Status.SUSPENDED,
                Cooperative.Status.TRIAL,
                Cooperative.Status.ACTIVE,
            ],
            help="status of the restored cooperative (default suspended: reactivate it in "
            "the console when it is to be used)",
        )

    def handle(self, *args, file, slug, of, list, status, **opts):
        public_tenant_ensure()
        target = None
        if of is not None:
            target = Cooperative.objects.filter(slug=of, is_practice=False).first()
            if target is None or target.is_public:
                raise CommandError(f"No cooperative with the address {of!r}")
        if list:
            if target is None:
                raise CommandError("--list needs --of <slug>")
            self._list(target)
            return
        if not slug:
            raise CommandError("--slug (the new address) is required")
        if file is None:
            if target is None:
                raise CommandError("give a backup FILE, or --of <slug> for its newest backup")
            found = backups_of(cooperative=target)
            if not found:
                raise CommandError(f"No backup of {target.slug} (id {target.pk}) in BACKUP_DIR")
            file = str(found[0])
            self.stdout.write(f"Newest backup of {target.slug}: {file}")
        try:
            done = cooperative_restore(
                path=file,
                slug=slug,
                status=status,
                actor="manage.py cooperative_restore",
                of=target,
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc))
        coop = done.cooperative
        rows = sum(done.counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {done.source_schema} as {coop.schema_name} ({coop.slug}, {coop.status}): "
                f"{len(done.counts)} tables, {rows} rows, counts equal to the backup"
            )
        )
        self.stdout.write(f"URL: {tenant_url(coop.slug)}")
        for warning in done.warnings:
            self.stdout.write(self.style.WARNING(warning))

    def _list(self, target: Cooperative) -> None:
        found = backups_of(cooperative=target)
        self.stdout.write(f"Backups of {target.slug} (id {target.pk}), newest first:")
        for path in found:
            meta = backup_meta(path)
            rows = sum(meta["counts"].values())
            self.stdout.write(f"  {path}  {meta.get('created_at')}  {rows} rows")
        if not found:
            self.stdout.write("  (none)")
