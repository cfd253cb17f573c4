"""Application → verification → approval → disbursement, and the refusals."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.loans import schedules as S
from core.loans.models import Instalment, Loan, LoanDocument
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_reject,
    loan_verify,
)
from tests.loans.conftest import assert_reconciled, docs
from tests.members import factories as f


def _counts():
    return (
        Loan.objects.count(),
        LoanDocument.objects.count(),
        Instalment.objects.count(),
        JournalEntry.objects.count(),
        AuditEvent.objects.count(),
    )


def test_disbursement_posts_entry_and_fixes_schedule(make_loan, member, today):
    from core.ledger.models import JournalLine
    from core.ledger.selectors import account_for_role
    from core.savings.models import SavingsAccount

    loan = make_loan(principal=D("10000000"), tenor=10)
    assert loan.status == Loan.Status.DISBURSED
    fees = {
        "admin_fee": D(100_000),
        "provisi": D(50_000),
        "insurance": D(50_000),
        "wajib_pinjam": D(100_000),
        "risk_fund": D(50_000),
    }
    for k, v in fees.items():
        assert getattr(loan, k) == v
    assert loan.net_disbursed == D(10_000_000) - sum(fees.values())
    lines = JournalLine.objects.filter(entry=loan.disbursement_entry)
    by_role = {}
    for role in (
        "loan_receivable",
        "cash",
        "admin_fee_income",
        "provisi_income",
        "insurance_payable",
        "risk_fund",
    ):
        acc = account_for_role(role)
        ls = lines.filter(account=acc)
        by_role[role] = sum((ln.debit - ln.credit for ln in ls), D(0))
    assert by_role["loan_receivable"] == D(10_000_000)
    assert by_role["cash"] == -loan.net_disbursed
    assert by_role["admin_fee_income"] == -D(100_000)
    assert by_role["provisi_income"] == -D(50_000)
    assert by_role["insurance_payable"] == -D(50_000)
    assert by_role["risk_fund"] == -D(50_000)
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    assert wajib.balance == D(100_000)
    rows = list(loan.instalments.order_by("number"))
    assert [(r.principal, r.jasa) for r in rows] == [(D(1_000_000), D(100_000))] * 10
    assert rows[0].due_date == S.add_months(today, 1)
    assert loan.principal_outstanding == D(10_000_000)
    actions = set(
        AuditEvent.objects.filter(target_id=str(loan.pk), target_type="loans.loan").values_list(
            "action", flat=True
        )
    )
    assert {"loan.apply", "loan.verify", "loan.approve", "loan.disburse"} <= actions
    assert_reconciled()


def test_annuity_reference_schedule_stored_at_disbursement(make_loan, product):
    product.method = "annuity"
    product.rate = D("12")
    product.rate_period = "year"
    product.save()
    loan = make_loan(principal=D("10000000"), tenor=12)
    rows = list(loan.instalments.order_by("number"))
    assert rows[0].principal + rows[0].jasa == D(888_488)
    assert (rows[-1].principal, rows[-1].jasa) == (D(879_688), D(8_797))
    assert sum(r.jasa for r in rows) == D(661_853)
    assert sum(r.principal for r in rows) == D(10_000_000)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"principal": D("500000")}, "loan_amount_out_of_range"),
        ({"principal": D("60000000")}, "loan_amount_out_of_range"),
        ({"tenor": 0}, "loan_tenor_out_of_range"),
        ({"tenor": 36}, "loan_tenor_out_of_range"),
        ({"principal": D("-1000000")}, "loan_amount_not_positive"),
        ({"principal": D("1000000.50")}, "loan_amount_not_whole"),
        ({"principal": D("40000000"), "tenor": 6}, "loan_unaffordable"),
    ],
)
def test_apply_refuses_bad_terms_and_writes_nothing(staff, member, product, kwargs, code):
    before = _counts()
    args = {"principal": D("10000000"), "tenor": 10} | kwargs
    with pytest.raises(ApplicationError) as e:
        loan_apply(member=member, product=product, by=staff["petugas"], documents=docs(), **args)
    assert e.value.code == code
    assert _counts() == before


def test_apply_refuses_without_take_home_pay(staff, product, in_tenant_a):
    m = f.member()
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=m,
            product=product,
            principal=D("2000000"),
            tenor=10,
            by=staff["petugas"],
            documents=docs(),
        )
    assert e.value.code == "loan_take_home_pay_missing"


def test_apply_refuses_short_membership(staff, product, today, in_tenant_a):
    m = f.member(take_home_pay=D("15000000"), join_date=today - timedelta(days=40))
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=m,
            product=product,
            principal=D("2000000"),
            tenor=10,
            by=staff["petugas"],
            documents=docs(),
        )
    assert e.value.code == "loan_membership_too_short"
    assert _counts() == before


def test_apply_refuses_member_with_macet_loan(make_loan, staff, member, product):
    old = make_loan(principal=D("2000000"), tenor=10, days_ago=400)
    Loan.objects.filter(pk=old.pk).update(kolektibilitas="macet")
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=member,
            product=product,
            principal=D("1000000"),
            tenor=10,
            by=staff["petugas"],
            documents=docs(),
        )
    assert e.value.code == "loan_member_has_macet"
    assert _counts() == before


def test_apply_refuses_inactive_member(staff, product, member, today):
    from core.members.services import member_status_set

    member_status_set(member=member, status="resigned", on=today, reason="uji", by=staff["admin"])
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=member,
            product=product,
            principal=D("2000000"),
            tenor=10,
            by=staff["petugas"],
            documents=docs(),
        )
    assert e.value.code == "loan_member_not_active"


def test_apply_requires_letter_and_payslip(staff, member, product):
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=member,
            product=product,
            principal=D("2000000"),
            tenor=10,
            by=staff["petugas"],
            documents=docs()[:1],
        )
    assert e.value.code == "loan_documents_missing"
    assert _counts() == before


def test_affordability_counts_existing_loans(make_loan, staff, member, product):
    # limit 33.33% of 15,000,000 = 4,999,500; first loan 10,000,000/5 -> 2,100,000 a month
    make_loan(principal=D("10000000"), tenor=5)
    loan_apply(
        member=member,
        product=product,
        principal=D("5000000"),
        tenor=5,
        by=staff["petugas"],
        documents=docs(),
    )
    # now 2,100,000 + 1,050,000; another 2,100,000 would exceed
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=member,
            product=product,
            principal=D("10000000"),
            tenor=5,
            by=staff["petugas"],
            documents=docs(),
        )
    assert e.value.code == "loan_unaffordable"


def test_approving_own_application_is_refused(staff, member, product):
    loan = loan_apply(
        member=member,
        product=product,
        principal=D("2000000"),
        tenor=10,
        by=staff["ketua"],
        documents=docs(),
    )
    loan = loan_verify(loan=loan, by=staff["bendahara"])
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_approve(loan=loan, by=staff["ketua"])
    assert e.value.code == "loan_own_application"
    assert _counts() == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED


def test_verifying_own_application_is_refused(staff, member, product):
    loan = loan_apply(
        member=member,
        product=product,
        principal=D("2000000"),
        tenor=10,
        by=staff["bendahara"],
        documents=docs(),
    )
    with pytest.raises(ApplicationError) as e:
        loan_verify(loan=loan, by=staff["bendahara"])
    assert e.value.code == "loan_own_application"


def test_database_refuses_maker_as_checker(make_loan, staff):
    loan = make_loan(until="applied")
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(approved_by=loan.applied_by)


@pytest.mark.parametrize("until", ["applied", "verified"])
def test_disbursing_unapproved_loan_is_refused(make_loan, staff, until):
    loan = make_loan(until=until)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=loan, by=staff["bendahara"])
    assert e.value.code == "loan_not_approved"
    assert _counts() == before


def test_approve_requires_verification_first(make_loan, staff):
    loan = make_loan(until="applied")
    with pytest.raises(ApplicationError) as e:
        loan_approve(loan=loan, by=staff["ketua"])
    assert e.value.code == "loan_wrong_status"


@pytest.mark.parametrize(
    ("action", "role"),
    [
        ("verify", "petugas"),
        ("verify", "ketua"),
        ("approve", "bendahara"),
        ("approve", "admin"),
        ("approve", "pengawas"),
    ],
)
def test_steps_need_their_role(make_loan, staff, action, role):
    loan = make_loan(until="applied" if action == "verify" else "verified")
    fn = loan_verify if action == "verify" else loan_approve
    with pytest.raises(ApplicationError) as e:
        fn(loan=loan, by=staff[role])
    assert e.value.code == "permission_denied"


def test_disburse_needs_treasury_role(make_loan, staff):
    loan = make_loan(until="approved")
    for role in ("petugas", "ketua", "pengawas"):
        with pytest.raises(ApplicationError):
            loan_disburse(loan=loan, by=staff[role])


def test_reject_needs_reason_and_is_audited(make_loan, staff):
    loan = make_loan(until="verified")
    with pytest.raises(ApplicationError) as e:
        loan_reject(loan=loan, by=staff["ketua"], reason="  ")
    assert e.value.code == "loan_reason_required"
    loan = loan_reject(loan=loan, by=staff["ketua"], reason="Gaji tidak mencukupi")
    assert loan.status == Loan.Status.REJECTED
    assert AuditEvent.objects.filter(
        action="loan.reject", target_id=str(loan.pk), reason="Gaji tidak mencukupi"
    ).exists()
    with pytest.raises(ApplicationError):
        loan_disburse(loan=loan, by=staff["bendahara"])


def test_member_gets_emails_on_commit(make_loan, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_loan()
    subjects = [m.subject for m in mailoutbox]
    assert any("diterima" in s for s in subjects)
    assert any("dicairkan" in s for s in subjects)
    assert all(m.to == ["anggota@x.test"] for m in mailoutbox)


def test_no_email_before_commit(make_loan, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_loan(until="applied")
    assert mailoutbox == []
    assert callbacks


def test_anggota_may_apply_only_for_self(staff, member, product, in_tenant_a):
    u = f.user("anggota")
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=member, product=product, principal=D("2000000"), tenor=10, by=u, documents=docs()
        )
    assert e.value.status_code == 403
    member.user = u
    member.save()
    u.refresh_from_db()
    loan = loan_apply(
        member=member, product=product, principal=D("2000000"), tenor=10, by=u, documents=docs()
    )
    assert loan.status == Loan.Status.APPLIED


def test_approval_rechecks_affordability_after_take_home_pay_falls(make_loan, member):
    # applied while the take-home pay was 15,000,000 (limit 4,999,500; 1,100,000 a month)
    loan = make_loan(principal=D("10000000"), tenor=10, until="verified")
    member.take_home_pay = D("3000000")  # limit now 999,900: the loan no longer fits
    member.save(update_fields=["take_home_pay"])
    ketua = f.user("ketua")
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_approve(loan=loan, by=ketua)
    assert e.value.code == "loan_unaffordable"
    assert "999.900" in e.value.message
    assert _counts() == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED


def test_disbursement_rechecks_limits_after_approval(make_loan, member, product, staff):
    loan = make_loan(principal=D("10000000"), tenor=10, until="approved")
    product.max_amount = D("5000000")  # the plafon lowered after the approval
    product.save(update_fields=["max_amount"])
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=loan, by=staff["bendahara"])
    assert e.value.code == "loan_amount_out_of_range"
    assert _counts() == before
    product.max_amount = D("50000000")
    product.save(update_fields=["max_amount"])
    member.take_home_pay = D("3000000")
    member.save(update_fields=["take_home_pay"])
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=loan, by=staff["bendahara"])
    assert e.value.code == "loan_unaffordable"
    assert _counts() == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED
    assert not loan.instalments.exists()
