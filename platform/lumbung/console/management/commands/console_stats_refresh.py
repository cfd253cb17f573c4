from django.core.management.base import BaseCommand

from lumbung.console.stats import stats_refresh


class Command(BaseCommand):
    help = "Perbarui statistik pemakaian setiap koperasi untuk konsol operator."

    def handle(self, *args, **options):
        self.stdout.write(str(stats_refresh()))
