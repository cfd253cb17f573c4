from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from core.users.models import User
from core.users.services import member_link, user_create
from tenants.models import Cooperative
from tenants.services import cooperative_create, public_tenant_ensure, tenant_url

DEMO_SLUG = "demo"
DEMO_PASSWORD = "lumbung-demo"
DEMO_STAFF = [
    ("admin@demo.lumbung.id", "Rina Wulandari", User.Role.ADMIN),
    ("ketua@demo.lumbung.id", "Drs. Bambang Supriyadi", User.Role.KETUA),
    ("bendahara@demo.lumbung.id", "Siti Rahmawati, S.E.", User.Role.BENDAHARA),
    ("petugas@demo.lumbung.id", "Agus Setiawan", User.Role.PETUGAS),
    ("pengawas@demo.lumbung.id", "Hj. Nurhayati", User.Role.PENGAWAS),
]
# The member portal's demo login, linked to a demo member who has a loan (after the seeders).
DEMO_MEMBER_LOGIN = "anggota@demo.lumbung.id"
OPERATOR = ("operator@lumbung.localhost", "Operator Lumbung")


def demo_staff_ensure() -> None:
    """The demo's staff logins in the current schema (idempotent): staff (``is_staff``,
    as ``user_create`` makes every staff role; the API docs page needs it), each with the
    demo password when made."""
    for email, name, role in DEMO_STAFF:
        user, created = User.objects.get_or_create(
            username=email,
            defaults={"email": email, "full_name": name, "role": role, "is_staff": True},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        elif not user.is_staff:  # seeded before the demo's staff were made staff
            user.is_staff = True
            user.save(update_fields=["is_staff"])


def demo_member_login(*, admin: User) -> tuple[User, object] | None:
    """The anggota login of the demo (idempotent): linked to the first active member with a
    loan (else the first active member). None when the demo has no members (no seeders)."""
    if not apps.is_installed("core.members"):
        return None
    member_model = apps.get_model("members", "Member")
    user = User.objects.filter(username=DEMO_MEMBER_LOGIN).first()
    if user is not None and hasattr(user, "member"):
        return user, user.member
    active = member_model.objects.filter(status=member_model.Status.ACTIVE, user__isnull=True)
    member = (
        active.filter(loans__isnull=False).order_by("number").first()
        if apps.is_installed("core.loans")
        else None
    ) or active.order_by("number").first()
    if member is None:
        return None
    if user is None:
        user = user_create(
            by=admin,
            email=DEMO_MEMBER_LOGIN,
            full_name=member.full_name,
            role=User.Role.ANGGOTA,
            password=DEMO_PASSWORD,
        )
    member_link(by=admin, user=user, member=member)
    return user, member


class Command(BaseCommand):
    help = "Create (or top up) the demo KPRI at slug 'demo' with realistic data. Idempotent."

    def handle(self, *args, **opts):
        public_tenant_ensure()
        with transaction.atomic():
            op, created = User.objects.get_or_create(
                username=OPERATOR[0],
                defaults={
                    "email": OPERATOR[0],
                    "full_name": OPERATOR[1],
                    "operator_role": User.OperatorRole.ADMIN,
                    "is_staff": True,
                },
            )
            if created:
                op.set_password(DEMO_PASSWORD)
                op.save()
        coop = Cooperative.objects.filter(slug=DEMO_SLUG).first()
        if coop is None:
            made = cooperative_create(
                slug=DEMO_SLUG,
                name="KPRI Sejahtera Palangka Raya",
                admin_email=DEMO_STAFF[0][0],
                admin_password=DEMO_PASSWORD,
                admin_name=DEMO_STAFF[0][1],
                actor="seed_demo",
                status=Cooperative.Status.ACTIVE,
                legal_number="518/BH/XVIII.4/2019",
                nik_koperasi="6271010020001",
                province="Kalimantan Tengah",
                regency="Kota Palangka Raya",
                contact_name="Rina Wulandari",
                phone="+6281234567890",
            )
            coop = made.cooperative
        with schema_context(coop.schema_name), transaction.atomic():
            demo_staff_ensure()
            for path in getattr(settings, "DEMO_SEEDERS", []):
                import_string(path)(cooperative=coop)
            member_login = demo_member_login(admin=User.objects.get(username=DEMO_STAFF[0][0]))
        for path in getattr(settings, "DEMO_PUBLIC_SEEDERS", []):
            import_string(path)(cooperative=coop, operator=op)
        self.stdout.write(self.style.SUCCESS(f"Demo cooperative ready: {tenant_url(DEMO_SLUG)}"))
        for email, _name, role in DEMO_STAFF:
            self.stdout.write(f"  {role:<10} {email} / {DEMO_PASSWORD}")
        if member_login is not None:
            user, member = member_login
            self.stdout.write(
                f"  {user.role:<10} {user.username} / {DEMO_PASSWORD}  "
                f"(member portal {tenant_url(DEMO_SLUG)}portal/ as {member.number} {member.full_name})"
            )
        self.stdout.write(
            f"Operator: {OPERATOR[0]} / {DEMO_PASSWORD} at "
            f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}:{settings.SITE_PORT}/"
        )
