from django.core.management.base import BaseCommand, CommandError

from tenants.schema_template import (
    TEMPLATE_SCHEMA,
    TemplateUnsupported,
    template_refresh,
    template_state,
)


class Command(BaseCommand):
    help = (
        "Bring the template schema that new cooperatives are cloned from in step with the "
        "migrations (run after migrate_schemas; a no-op when nothing changed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild even if current")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only report; exit 1 if the template is missing or stale",
        )

    def handle(self, *args, **opts):
        if opts["check"]:
            state = template_state()
            if state.current:
                self.stdout.write(f"{TEMPLATE_SCHEMA}: current")
                return
            reason = (
                "missing"
                if not state.exists
                else f"stale ({len(state.missing)} migrations behind)"
                if state.missing
                else "snapshot out of date"
            )
            raise CommandError(f"{TEMPLATE_SCHEMA}: {reason}")
        try:
            result = template_refresh(force=opts["force"], verbosity=opts["verbosity"])
        except TemplateUnsupported as exc:
            raise CommandError(f"template cannot be cloned: {exc}")
        if result.rebuilt:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{TEMPLATE_SCHEMA} rebuilt in {result.seconds:.2f} s "
                    f"({result.migrations} migrations, {result.statements} DDL statements)"
                )
            )
        else:
            self.stdout.write(f"{TEMPLATE_SCHEMA} already current")
