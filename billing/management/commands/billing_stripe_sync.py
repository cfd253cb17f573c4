"""Create the Stripe product and monthly/yearly prices for every offered plan that has
none yet (run once per Stripe account, and after adding a plan)."""

from django.core.management.base import BaseCommand

from billing.providers.stripe_provider import stripe_catalog_sync


class Command(BaseCommand):
    help = "Create missing Stripe prices for the billing plans."

    def handle(self, *args, **options):
        created = stripe_catalog_sync()
        self.stdout.write(f"{created} Stripe price(s) created.")
