from django.core.management.base import BaseCommand, CommandError

from core.common.errors import ApplicationError
from tenants.models import SignupRequest
from tenants.signup import signup_retry


class Command(BaseCommand):
    help = (
        "List failed sign-ups with their errors, or queue some again by id. A sign-up that "
        "cannot be queued is reported and the others are still queued; the command then "
        "exits non-zero naming the ones left."
    )

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
        refused = []
        for pk in opts["ids"]:
            signup = SignupRequest.objects.filter(pk=pk).first()
            if signup is None:
                self.stderr.write(f"{pk}: no such sign-up")
                refused.append(pk)
                continue
            try:
                signup_retry(signup=signup, actor="manage.py signup_retry")
            except ApplicationError as exc:
                self.stderr.write(f"{pk} ({signup.slug}) not queued: {exc.code}: {exc.message}")
                refused.append(pk)
                continue
            self.stdout.write(f"queued {pk} ({signup.slug}) again")
        if refused:
            raise CommandError(
                f"{len(refused)} of {len(opts['ids'])} sign-ups not queued: "
                + ", ".join(str(pk) for pk in refused)
            )
