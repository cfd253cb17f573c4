"""manage.py create_pembina EMAIL --province PROVINSI [--regency KAB/KOTA] [--name NAME]

Create (or re-scope) a Dinas Koperasi officer (pembina) in the public schema. A new
pembina gets a generated password, printed once; the TOTP device is enrolled at first
login at /dinas/masuk/. Operators run it; the change is audited."""

from django.core.management.base import BaseCommand, CommandError

from core.common.errors import ApplicationError
from lumbung.dinas.services import pembina_create


class Command(BaseCommand):
    help = "Buat pembina Dinas Koperasi (skema public) atau ubah wilayahnya."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--province", required=True)
        parser.add_argument("--regency", default="")
        parser.add_argument("--name", default="")

    def handle(self, *args, email, province, regency, name, **options):
        try:
            pembina, password = pembina_create(
                email=email, province=province, regency=regency, name=name, by="manage.py"
            )
        except ApplicationError as err:
            raise CommandError(str(err.message)) from err
        if password:
            self.stdout.write(f"Kata sandi awal (tampil sekali): {password}")
        self.stdout.write(
            self.style.SUCCESS(f"Pembina {pembina.user.username}: {pembina.area_label}")
        )
