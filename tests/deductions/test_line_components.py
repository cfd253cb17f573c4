"""A posted line's components (paid_jasa, paid_principal, paid_wajib, paid_others,
to_sukarela) say where each rupiah actually went: a loan closed after the list was made,
a loan over-paid, a purpose account filled at the counter send money to sukarela, and the
line must say so (not the destinations the list planned), tying to the repayment and
savings rows the batch wrote."""

from decimal import Decimal as D

from core.common.money import format_rupiah
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionLine
from core.deductions.selectors import run_agencies
from core.loans.models import Loan, LoanProduct, Repayment
from core.loans.schedules import add_months
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_payoff,
    loan_repay,
    loan_verify,
)
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.services import savings_account_open, teller_deposit
from tests.loans.conftest import approval_backdate

from .conftest import assert_reconciled, csv_bytes, docs, login, make_run

ZERO = D("0")


def _upload(coop, run, amounts, agency=0):
    return svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][agency],
        content=csv_bytes([(m.nip, a) for m, a in amounts]),
        file_name="a.csv",
        by=coop["by"],
    )


def _written(imp: DeductionImport, member) -> dict:
    """What the batch really wrote for ``member``: its repayment rows and its savings
    movements by product kind."""
    data = DeductionImport.objects.get(pk=imp.pk).posted_data
    reps = Repayment.objects.filter(pk__in=data["repayments"], loan__member=member)
    txns = SavingsTransaction.objects.filter(
        pk__in=data["savings_transactions"], account__member=member
    ).select_related("account__product")
    kind = {}
    for t in txns:
        k = t.account.product.kind
        kind[k] = kind.get(k, ZERO) + t.amount
    return {
        "jasa": sum((r.penalty + r.jasa + r.early_payoff_fee for r in reps), ZERO),
        "principal": sum((r.principal for r in reps), ZERO),
        "wajib": kind.get(SavingsProduct.Kind.WAJIB, ZERO),
        "others": kind.get(SavingsProduct.Kind.BERJANGKA, ZERO),
        "sukarela": kind.get(SavingsProduct.Kind.SUKARELA, ZERO),
    }


def _components(line: DeductionLine) -> dict:
    return {
        "jasa": line.paid_jasa,
        "principal": line.paid_principal,
        "wajib": line.paid_wajib,
        "others": line.paid_others,
        "sukarela": line.to_sukarela,
    }


def _second_loan(coop, member, first_due):
    on = add_months(first_due, -1)
    b = loan_apply(
        member=member,
        product=LoanProduct.objects.get(code="PG"),
        principal=D("10000000"),
        tenor=10,
        by=coop["staff"]["petugas"],
        on=on,
        documents=docs(),
    )
    loan_verify(loan=b, by=coop["staff"]["bendahara"])
    loan_approve(loan=b, by=coop["staff"]["ketua"])
    approval_backdate(b, on)  # approved on the day it is paid out
    loan_disburse(loan=b, by=coop["staff"]["bendahara"], on=on, first_due_date=first_due)
    return Loan.objects.get(pk=b.pk)


def test_closed_and_overpaid_loans_show_on_the_line_as_sukarela(coop, cutoffs):
    by = coop["by"]
    m2 = coop["m"][1]
    _prev, this = cutoffs
    b = _second_loan(coop, m2, this)
    a = coop["loans"]["m2"]
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m2)
    asked = {int(x["loan_id"]): D(x["jasa"]) + D(x["principal"]) for x in line.loans}
    loan_payoff(loan=a, by=by, on=this)  # A closed after the list
    loan_repay(loan=b, amount=D(9_900_000), by=by, on=this, excess_to="principal")
    imp = _upload(coop, run, [(m2, int(line.total))])
    imp = svc.deduction_import_post(imp=imp, by=by)
    line.refresh_from_db()
    written = _written(imp, m2)
    rep_b = Repayment.objects.get(loan_id=b.pk, channel="payroll")
    # the line says what the rows say, rupiah by rupiah
    assert _components(line) == written
    assert line.to_sukarela == asked[a.pk] + rep_b.excess
    assert line.paid_principal == rep_b.principal
    assert line.realized == line.total
    # not a shortfall: the agency cut everything asked
    assert line.shortfall == 0
    # the per-loan detail names where each loan's instalment went
    detail = {x["loan_id"]: x for x in line.paid_detail["loans"]}
    assert D(detail[a.pk]["to_sukarela"]) == asked[a.pk]
    assert D(detail[a.pk]["principal"]) == 0 and D(detail[a.pk]["jasa"]) == 0
    assert D(detail[b.pk]["principal"]) == rep_b.principal
    assert D(detail[b.pk]["to_sukarela"]) == rep_b.excess
    # the posted batch's page says why, per loan, in rupiah
    html = login(by).get(f"/potong-gaji/impor/{imp.pk}/").content.decode()
    assert f"Pinjaman {a.number} sudah lunas: {format_rupiah(asked[a.pk])} masuk sukarela" in html
    assert (
        f"Pinjaman {b.number}: {format_rupiah(rep_b.excess)} melebihi tagihannya, masuk sukarela"
        in html
    )
    assert_reconciled()


def test_purpose_account_filled_at_the_counter_shows_on_the_line_as_sukarela(coop, cutoffs):
    prev, this = cutoffs
    by = coop["by"]
    m3 = coop["m"][2]
    product = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    acc = savings_account_open(
        member=m3, product=product, on=add_months(prev, -1), monthly_amount=D("100000")
    )
    target = D("100000") * product.term_months
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m3)
    teller_deposit(account=acc, amount=target - D("30000"), channel="cash", on=this, by=by)
    imp = _upload(coop, run, [(m3, int(line.total) + 5000)])
    imp = svc.deduction_import_post(imp=imp, by=by)
    line.refresh_from_db()
    assert _components(line) == _written(imp, m3)
    assert line.paid_others == D("30000")
    assert line.to_sukarela == D("70000") + D("5000")  # what did not fit + the excess
    assert line.shortfall == 0
    assert line.paid_detail["purposes"] == [
        {
            "account_id": acc.pk,
            "number": acc.number,
            "paid": "30000.00",
            "to_sukarela": "70000.00",
            "why": "full",  # what the posted page's note says
        }
    ]
    assert_reconciled()


def test_posted_batch_screens_and_api_show_the_actual_destinations(coop, cutoffs):
    by = coop["by"]
    m2 = coop["m"][1]
    _prev, this = cutoffs
    a = coop["loans"]["m2"]
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m2)
    loan_payoff(loan=a, by=by, on=this)
    imp = _upload(coop, run, [(m2, int(line.total))])
    imp = svc.deduction_import_post(imp=imp, by=by)
    line.refresh_from_db()
    assert line.paid_jasa == 0 and line.paid_principal == 0
    assert line.to_sukarela == line.jasa + line.principal
    c = login(by)
    body = c.get(f"/api/v1/deductions/imports/{imp.pk}/?preview=1").json()
    row = next(r for r in body["preview"] if r["member_number"] == m2.number)
    assert row["paid"]["jasa"] == "0.00" and row["paid"]["principal"] == "0.00"
    assert row["to_sukarela"] == f"{line.jasa + line.principal:.2f}"
    assert row["shortfall"] == "0.00"
    assert row["paid_detail"]["loans"] == [
        {
            "loan_id": a.pk,
            "number": a.number,
            "penalty": "0.00",
            "jasa": "0.00",
            "principal": "0.00",
            "to_sukarela": f"{line.jasa + line.principal:.2f}",
            "why": "closed",
        }
    ]
    # the run's reconciliation: nothing short, the instalment counted as to sukarela
    ag = next(r for r in run_agencies(run) if r["agency_id"] == coop["agencies"][0].pk)
    assert ag["excess"] == line.jasa + line.principal
    assert ag["shortfall"] == sum(
        (ln.total for ln in run.lines.filter(agency=coop["agencies"][0]).exclude(member=m2)),
        ZERO,
    )
    # reversed: the line's components and detail are cleared, the money is taken back
    svc.deduction_import_reverse(imp=imp, reason="salah", by=by)
    line.refresh_from_db()
    assert line.realized is None and line.to_sukarela == 0 and line.paid_detail == {}
    suk = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    assert suk.balance == 0
    assert_reconciled()


def test_a_filled_purpose_account_does_not_make_the_next_list_ask_another_twice(coop, cutoffs):
    """Two purpose accounts on one line, the first filled at the counter after the list:
    the second got its whole share, so next month's list asks it only its month (the
    carried arrears come from what each account took, not the line's total)."""
    prev, this = cutoffs
    by = coop["by"]
    m3 = coop["m"][2]
    product = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    full = savings_account_open(
        member=m3, product=product, on=add_months(prev, -1), monthly_amount=D("100000")
    )
    qurban = SavingsProduct.objects.get(pk=product.pk)
    qurban.pk, qurban.code, qurban.name = None, "QURBAN-T", "Simpanan Qurban Uji"
    qurban.save()
    other = savings_account_open(
        member=m3, product=qurban, on=add_months(prev, -1), monthly_amount=D("50000")
    )
    run = make_run(on=prev, by=by)
    line = run.lines.get(member=m3)
    assert [int(x["account_id"]) for x in line.purposes] == [full.pk, other.pk]
    teller_deposit(
        account=full,
        amount=D("100000") * product.term_months,
        channel="cash",
        on=prev,
        by=by,
    )
    imp = _upload(coop, run, [(m3, int(line.total))])
    imp = svc.deduction_import_post(imp=imp, by=by)
    line.refresh_from_db()
    assert _components(line) == _written(imp, m3)
    assert line.paid_others == D("50000") and line.to_sukarela == D("100000")
    nxt = make_run(on=this, by=by)
    asked = {int(x["account_id"]): D(x["amount"]) for x in nxt.lines.get(member=m3).purposes}
    assert asked == {other.pk: D("50000")}
    assert_reconciled()
