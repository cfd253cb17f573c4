"""A new cooperative's first page is a checklist, not a dashboard of zeros: each step is
linked and ticks itself from the data (opening balances, members, products reviewed,
staff invited, payroll agencies); the main lists' empty states say what to do next."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from core.ledger.services import LineSpec, journal_post
from core.loans.models import LoanProduct
from core.loans.services import loan_product_save
from core.onboarding.selectors import setup_checklist
from tests.members import factories as f

STEPS = ["opening", "members", "products", "staff", "agencies"]


@pytest.fixture
def admin(in_tenant_a, tenant_a):
    """The cooperative's first admin, made at sign-up (the only login so far)."""
    from core.users.models import User

    return User.objects.get(email=f"admin@{tenant_a.slug}.test")


def _done(steps) -> dict[str, bool]:
    return {s.key: s.done for s in steps}


def test_new_cooperative_sees_the_checklist_instead_of_zero_figures(admin, client_for):
    html = client_for(admin).get(reverse("home")).content.decode()
    assert 'id="setup-checklist"' in html
    for key in STEPS:
        assert f'id="step-{key}"' in html
    # every step links to where it is done
    for name in ("onboarding:wizard", "members:import", "loans:products", "users:create"):
        assert reverse(name) in html, name
    assert reverse("members:agencies") in html
    # no dashboard of zeros
    assert 'id="panel-members"' not in html and 'id="panel-savings"' not in html


def test_each_step_ticks_itself_from_the_data(admin):
    assert _done(setup_checklist()) == dict.fromkeys(STEPS, False)
    f.user("bendahara")  # a second staff login: someone was invited
    assert _done(setup_checklist())["staff"] is True

    f.agency("DISDIK", "Dinas Pendidikan")
    assert _done(setup_checklist())["agencies"] is True

    f.member()
    assert _done(setup_checklist())["members"] is True

    product = LoanProduct.objects.order_by("pk").first() or LoanProduct.objects.create(
        code="X",
        name="X",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("5000000"),
        max_tenor=12,
    )
    assert _done(setup_checklist())["products"] is False  # seeding is not a review
    loan_product_save(by=admin, product=product, rate=D("1.25"))
    assert _done(setup_checklist())["products"] is True

    journal_post(
        on=timezone.localdate(),
        description="Saldo awal",
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
        source="opening",
        by=admin,
    )
    assert _done(setup_checklist())["opening"] is True


def test_when_everything_is_done_the_dashboard_shows_figures(admin, client_for):
    f.user("bendahara")
    f.member(agency_obj=f.agency())
    product = LoanProduct.objects.order_by("pk").first()
    if product is None:
        pytest.skip("no seeded loan product")
    loan_product_save(by=admin, product=product, rate=product.rate)
    journal_post(
        on=timezone.localdate(),
        description="Saldo awal",
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
        source="opening",
        by=admin,
    )
    html = client_for(admin).get(reverse("home")).content.decode()
    assert 'id="setup-checklist"' not in html
    assert 'id="panel-members"' in html


def test_a_working_cooperative_keeps_the_unfinished_checklist_above_its_figures(admin, client_for):
    f.member(agency_obj=f.agency())
    html = client_for(admin).get(reverse("home")).content.decode()
    assert 'id="setup-checklist"' in html and 'id="panel-members"' in html
    assert html.index('id="setup-checklist"') < html.index('id="panel-members"')


@pytest.mark.parametrize(
    ("name", "next_url"),
    [
        ("members:list", "members:import"),
        ("members:agencies", "members:agency_create"),
        ("loans:list", "loans:apply"),
        ("savings:accounts", "members:import"),
        ("ledger:journal", "onboarding:wizard"),
    ],
)
def test_empty_lists_say_what_to_do_next(admin, client_for, name, next_url):
    html = client_for(admin).get(reverse(name)).content.decode()
    assert 'id="empty-next"' in html, name
    start = html.index('id="empty-next"')
    assert reverse(next_url) in html[start : start + 1500], name


def test_checklist_and_newness_in_one_query(admin):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from core.onboarding.selectors import cooperative_is_new, setup_status

    with CaptureQueriesContext(connection) as ctx:
        steps, new = setup_status()
    assert len(ctx) == 1
    assert new is True and cooperative_is_new() is True
    assert _done(steps) == _done(setup_checklist())
    # something posted, no member yet: no longer new
    with transaction.atomic():
        journal_post(
            on=timezone.localdate(),
            description="Kas masuk",
            lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
            by=admin,
        )
        assert cooperative_is_new() is False
        transaction.set_rollback(True)
    assert cooperative_is_new() is True
    f.member()  # a member, nothing posted: no longer new
    assert cooperative_is_new() is False
    assert setup_status()[1] is False
