from django.core.management.base import BaseCommand, CommandError

from core.common.errors import ApplicationError
from tenants.models import SignupRequest
from tenants.signup import signup_retry


class Command(BaseCommand):
    help = "List failed sign-ups with their errors, or queue some again by id."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="sign-up ids to queue again")

    def handle(self, *args, **opts):
        if not opts["ids"]:
            failed = SignupRequest.objects.filter(status=SignupRequest.Status.FAILED)
            for s in failed.order_by("-created_at"):
                self.stdout.write(
                    f"{s.pk:>6}  {s.slug:<24} {s.email:<32} attempts={s.attempts}  "
                    f"{s.last_error[:200]}"
                )
            if not failed.exists():
                self.stdout.write("No failed sign-ups.")
            return
        for pk in opts["ids"]:
            signup = SignupRequest.objects.filter(pk=pk).first()
            if signup is None:
                raise CommandError(f"no sign-up {pk}")
            try:
                signup_retry(signup=signup, actor="manage.py signup_retry")
            except ApplicationError as exc:
                raise CommandError(f"{pk}: {exc.code}: {exc.message}")
            self.stdout.write(f"queued {pk} ({signup.slug}) again")
