"""manage.py create_operator EMAIL --role support|billing|admin [--name NAME]

Create (or change the role of) a platform operator in the public schema. A new operator
gets a generated password, printed once; the TOTP device is enrolled at first login."""

import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.audit.services import audit_log
from core.users.models import User
from lumbung.console.audit import ConsoleAudit


class Command(BaseCommand):
    help = "Buat operator platform (skema public) atau ubah perannya."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=User.OperatorRole.values)
        parser.add_argument("--name", default="")

    @transaction.atomic
    def handle(self, *args, email, role, name, **options):
        connection.set_schema_to_public()
        email = email.strip().lower()
        if "@" not in email:
            raise CommandError("Alamat e-mail tidak sah.")
        user = User.objects.filter(username=email).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=email, email=email, password=password, full_name=name or email
            )
            self.stdout.write(f"Kata sandi awal (tampil sekali): {password}")
        user.operator_role = role
        user.role = ""
        user.save(update_fields=["operator_role", "role"])
        audit_log(
            actor="manage.py",
            action=ConsoleAudit.CONSOLE_OPERATOR_SET,
            target=user,
            data={"role": role},
        )
        self.stdout.write(self.style.SUCCESS(f"Operator {email}: {role}"))
