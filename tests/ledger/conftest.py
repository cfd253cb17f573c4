import pytest

from core.users.models import User


def _user(role: str, name: str | None = None) -> User:
    name = name or f"{role}@ledger.test"
    user, _ = User.objects.get_or_create(
        username=name, defaults={"email": name, "role": role, "full_name": name}
    )
    return user


@pytest.fixture
def make_user(in_tenant_a):
    return _user


@pytest.fixture
def bendahara(in_tenant_a):
    return _user("bendahara")


@pytest.fixture
def admin_user(in_tenant_a):
    return _user("admin", "admin2@ledger.test")


@pytest.fixture
def login(tenant_a, in_tenant_a):
    """``login(role)`` → a test client on cooperative A logged in with that role."""
    from django.test import Client

    from tenants.services import tenant_host

    def make(role: str) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(_user(role))
        return c

    return make


@pytest.fixture
def savings(in_tenant_a):
    """A member's sukarela account holding Rp 250.000 deposited at the counter today."""
    from decimal import Decimal

    from django.utils import timezone

    from core.savings.seeding import product_by_kind, savings_products_seed
    from core.savings.services import savings_account_open, teller_deposit
    from tests.members import factories as f

    savings_products_seed()
    today = timezone.localdate()
    acc = savings_account_open(member=f.member(), product=product_by_kind("sukarela"), on=today)
    teller_deposit(
        account=acc, amount=Decimal("250000"), channel="cash", on=today, by=f.user("petugas")
    )
    return acc
