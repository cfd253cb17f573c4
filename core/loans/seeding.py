"""Default loan products and settings (a TENANT_SEEDER) and demo loans (a DEMO_SEEDER).
Both idempotent."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.common.errors import ApplicationError
from core.ledger.services import fiscal_year_ensure
from core.members.models import Member
from core.users.models import User

from . import schedules as S
from .arrears import loans_arrears_update
from .models import Loan, LoanProduct, LoanSettings
from .services import loan_apply, loan_approve, loan_disburse, loan_repay, loan_verify

D = Decimal
DEFAULT_PRODUCTS = [
    {
        "code": "PU",
        "name": "Pinjaman Umum",
        "method": "flat",
        "rate": D("1"),
        "rate_period": "month",
        "min_amount": D("1000000"),
        "max_amount": D("100000000"),
        "min_tenor": 1,
        "max_tenor": 60,
        "admin_fee_kind": "percent",
        "admin_fee_value": D("1"),
        "provisi_kind": "percent",
        "provisi_value": D("0.5"),
        "insurance_kind": "percent",
        "insurance_value": D("0.5"),
        "wajib_pinjam_kind": "percent",
        "wajib_pinjam_value": D("1"),
        "risk_fund_kind": "percent",
        "risk_fund_value": D("0"),
        "late_penalty_rate": D("2"),
        "late_penalty_basis": "per_month",
        "late_penalty_grace_days": 5,
        "early_payoff_kind": "percent",
        "early_payoff_value": D("1"),
        "max_instalment_share": D("33.33"),
        "min_membership_months": 6,
    },
    {
        "code": "PA",
        "name": "Pinjaman Anuitas",
        "method": "annuity",
        "rate": D("12"),
        "rate_period": "year",
        "min_amount": D("5000000"),
        "max_amount": D("200000000"),
        "min_tenor": 12,
        "max_tenor": 120,
        "admin_fee_kind": "fixed",
        "admin_fee_value": D("50000"),
        "provisi_kind": "percent",
        "provisi_value": D("1"),
        "insurance_kind": "percent",
        "insurance_value": D("0.75"),
        "risk_fund_kind": "percent",
        "risk_fund_value": D("0.5"),
        "late_penalty_rate": D("0.1"),
        "late_penalty_basis": "per_day",
        "late_penalty_grace_days": 7,
        "early_payoff_kind": "percent",
        "early_payoff_value": D("2"),
        "max_instalment_share": D("33.33"),
        "min_membership_months": 12,
    },
    {
        "code": "PD",
        "name": "Pinjaman Darurat",
        "method": "declining",
        "rate": D("1.5"),
        "rate_period": "month",
        "min_amount": D("500000"),
        "max_amount": D("5000000"),
        "min_tenor": 1,
        "max_tenor": 12,
        "admin_fee_kind": "fixed",
        "admin_fee_value": D("25000"),
        "late_penalty_rate": D("1"),
        "late_penalty_basis": "per_month",
        "max_instalment_share": D("40"),
        "min_membership_months": 3,
    },
]


@transaction.atomic
def _demo_pdf(text: str) -> bytes:
    """A one-page PDF saying ``text``: demo documents pass the upload policy (PDF, PNG or
    JPEG by content and extension) like a member's scanned letter would."""
    content = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def loans_tenant_seed(*, cooperative=None) -> int:
    """TENANT_SEEDER: the settings row and the default products (by code; existing
    products are left as the cooperative set them)."""
    LoanSettings.get()
    created = 0
    for spec in DEFAULT_PRODUCTS:
        data = dict(spec)
        _obj, made = LoanProduct.objects.get_or_create(code=data.pop("code"), defaults=data)
        created += made
    return created


DEMO_MARK = "(demo)"


def loans_demo_seed(*, cooperative=None) -> None:
    """DEMO_SEEDER (after the members/savings demo seeder): a few loans through the whole
    workflow, disbursed months ago, with monthly repayments; one in arrears, one still
    waiting for approval. Skipped when demo loans exist."""
    loans_tenant_seed()
    if Loan.objects.filter(purpose__endswith=DEMO_MARK).exists():
        return
    staff = {}
    for role in (User.Role.PETUGAS, User.Role.BENDAHARA, User.Role.KETUA):
        staff[role] = User.objects.filter(role=role, is_active=True).order_by("pk").first()
        if staff[role] is None:
            staff[role] = User.objects.create_user(
                username=f"{role}.pinjaman@demo.lumbung.id",
                email=f"{role}.pinjaman@demo.lumbung.id",
                full_name=f"Demo {role.title()}",
                role=role,
                password=None,
            )
    petugas, bendahara, ketua = staff["petugas"], staff["bendahara"], staff["ketua"]
    today = timezone.localdate()
    members = list(
        Member.objects.filter(status=Member.Status.ACTIVE, take_home_pay__gt=0).order_by("pk")[:8]
    )
    products = {p.code: p for p in LoanProduct.objects.all()}
    # the demo's books start early enough for its oldest loan (loan dates may not precede
    # the cooperative's first fiscal year)
    fiscal_year_ensure(year=S.add_months(today, -6).year)
    plans = [
        # product, principal, tenor, months ago disbursed, months paid
        ("PU", D("10000000"), 10, 6, 6),
        ("PA", D("24000000"), 24, 5, 5),
        ("PD", D("3000000"), 6, 4, 4),
        ("PU", D("6000000"), 12, 6, 1),  # arrears
        ("PU", D("5000000"), 10, 3, 3),
        ("PA", D("12000000"), 12, 2, 2),
    ]
    with transaction.atomic():
        for i, (code, principal, tenor, ago, paid) in enumerate(plans):
            if i >= len(members):
                break
            member = members[i]
            product = products[code]
            disbursed_on = S.add_months(today, -ago)
            if disbursed_on < member.join_date:
                continue
            applied_on = disbursed_on
            try:
                loan = loan_apply(
                    member=member,
                    product=product,
                    principal=principal,
                    tenor=tenor,
                    by=petugas,
                    on=applied_on,
                    purpose=f"Keperluan keluarga {DEMO_MARK}",
                    documents=[
                        (
                            "application_letter",
                            ContentFile(_demo_pdf("Surat permohonan (demo)"), "permohonan.pdf"),
                        ),
                        ("payslip", ContentFile(_demo_pdf("Slip gaji (demo)"), "slip-gaji.pdf")),
                    ],
                )
            except ApplicationError:  # a demo member who is not eligible is skipped
                continue
            # demo history: checked and approved on the day it was applied (a loan is
            # never paid out before its approval date)
            loan_verify(loan=loan, by=bendahara, on=applied_on)
            loan_approve(loan=loan, by=ketua, on=applied_on)
            loan_disburse(loan=loan, by=bendahara, on=disbursed_on, via="bank" if i % 2 else "cash")
            loan.refresh_from_db()
            for row in loan.instalments.filter(is_current=True).order_by("number")[:paid]:
                if row.due_date > today:
                    break
                loan_repay(
                    loan=loan,
                    amount=row.principal + row.jasa,
                    by=petugas,
                    on=row.due_date,
                    channel="counter" if i % 2 else "bank",
                )
        # one application waiting for the chair
        if len(members) > len(plans):
            m = members[len(plans)]
            try:
                loan = loan_apply(
                    member=m,
                    product=products["PD"],
                    principal=D("2000000"),
                    tenor=6,
                    by=petugas,
                    on=today,
                    purpose=f"Biaya sekolah anak {DEMO_MARK}",
                    documents=[
                        (
                            "application_letter",
                            ContentFile(_demo_pdf("Surat permohonan (demo)"), "permohonan.pdf"),
                        ),
                        ("payslip", ContentFile(_demo_pdf("Slip gaji (demo)"), "slip-gaji.pdf")),
                    ],
                )
                loan_verify(loan=loan, by=bendahara)
            except ApplicationError:
                pass
        loans_arrears_update(on=today, by="seed_demo")
