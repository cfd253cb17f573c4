from django.core.management.base import BaseCommand, CommandError

from core.common.errors import ApplicationError
from tenants.services import cooperative_create, public_tenant_ensure


class Command(BaseCommand):
    help = "Create a cooperative: tenant, domain, migrated schema and its first admin."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="address: <slug>.<BASE_DOMAIN>")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument(
            "--admin-password",
            default=None,
            help="if omitted, a one-time password is generated and printed",
        )
        parser.add_argument("--admin-name", default="")

    def handle(self, *args, **opts):
        public_tenant_ensure()
        try:
            made = cooperative_create(
                slug=opts["slug"],
                name=opts["name"],
                admin_email=opts["admin_email"],
                admin_password=opts["admin_password"],
                admin_name=opts["admin_name"],
                actor="manage.py create_cooperative",
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        self.stdout.write(self.style.SUCCESS(f"Created {made.cooperative.name}"))
        self.stdout.write(f"URL:      {made.url}")
        self.stdout.write(f"Login:    {made.admin_username}")
        if opts["admin_password"] is None:
            self.stdout.write(f"Password: {made.admin_password}  (one-time; change it)")
