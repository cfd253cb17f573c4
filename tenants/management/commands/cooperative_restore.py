from django.core.management.base import BaseCommand, CommandError

from core.common.errors import ApplicationError
from tenants.backup import BackupError, cooperative_restore
from tenants.models import Cooperative
from tenants.services import public_tenant_ensure, tenant_url


class Command(BaseCommand):
    help = (
        "Restore a cooperative backup (cooperative_backup) as a NEW cooperative under "
        "another address, in a fresh schema: all or nothing; an existing address or "
        "schema is refused; every table's row count is checked against the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--slug", required=True, help="the new address (<slug>.<BASE_DOMAIN>)")
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

    def handle(self, *args, file, slug, status, **opts):
        public_tenant_ensure()
        try:
            done = cooperative_restore(
                path=file, slug=slug, status=status, actor="manage.py cooperative_restore"
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
