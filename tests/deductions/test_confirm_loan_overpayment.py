"""A loan row that over-pays: after the list was made, m1 prepaid their loan at the
counter down to less than one instalment; the agency still cut the instalment the list
asked. Posted, the loans batch pays what the loan still asks and credits the rest to the
member's sukarela (its repayment's excess). Before posting, the confirmation page and the
API's preview now know that too, by the posting's own rule
(``core.loans.batch.loan_repayments_split_bulk``: the split ``loan_repayments_prepare_bulk``
makes, read only):

- dated in a month whose sukarela jasa was run, the confirmation page refuses it
  (``deduction_interest_run``), as the posting does — before, only the posting did, after
  the treasurer had confirmed;
- on a date that posts, the confirmation's figures are the posting's: the loan's
  principal what it still asked, the over-payment counted to sukarela and named."""

import re
from decimal import Decimal as D
from html import unescape

import pytest

from core.common.money import format_rupiah
from core.deductions import services as svc
from core.deductions.models import DeductionImport
from core.loans.models import Loan, Repayment
from core.savings.models import SavingsAccount

from .conftest import assert_reconciled, csv_bytes, login, make_run
from .test_posting_interest_run import _interest_bearing, _run_jasa, _state


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html).split(">", 1)[-1].strip())


@pytest.fixture
def overpaid(coop, cutoffs):
    """Last month's list; then m1 pays at the counter the instalment the list asks,
    the next one and 7,500,000 more to principal, on the cut-off day: the loan has 500,000 of principal
    left. Agency A's file cuts m1 exactly what the list asked."""
    prev, _this = cutoffs
    by = coop["by"]
    run = make_run(on=prev, by=by)
    m1 = coop["m"][0]
    line = run.lines.get(member=m1)
    loan = coop["loans"]["m1"]
    asked_loan = sum((D(x["jasa"]) + D(x["principal"]) for x in line.loans), D(0))
    assert asked_loan == D("1100000"), line.loans
    from core.loans.services import loan_repay

    loan_repay(loan=loan, amount=D("9700000"), by=by, on=prev, excess_to="principal")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    assert loan.principal_outstanding == D("500000")
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m1.nip, int(line.total))]),
        file_name="a.csv",
        by=by,
    )
    assert imp.status == "valid", imp.errors
    return {"run": run, "imp": imp, "line": line, "loan": loan, "on": prev}


def test_confirmation_refuses_a_loan_overpayment_into_a_month_whose_sukarela_jasa_ran(
    coop, overpaid
):
    by, imp, on = coop["by"], overpaid["imp"], overpaid["on"]
    sukarela = _interest_bearing("sukarela")
    _run_jasa(sukarela, on, by)
    before = _state()
    c = login(by)
    url = f"/potong-gaji/impor/{imp.pk}/"
    r = c.post(url, {"action": "post", "on": on.isoformat()})
    assert r.status_code == 302, (
        "the confirmation page asked to post: "
        + r.content.decode()[r.content.decode().find('id="confirm"') :][:1500]
    )
    page = c.get(r.url).content.decode()
    assert "sudah dihitung" in page and sukarela.name in page, page[:3000]
    # the posting says the same (the one rule), nothing changed
    r = c.post(url, {"action": "post", "on": on.isoformat(), "confirmed": "1"}, follow=True)
    assert "sudah dihitung" in r.content.decode()
    assert _state() == before
    assert DeductionImport.objects.get(pk=imp.pk).status == "valid"


def test_api_preview_gives_the_refusal_for_the_date_asked(coop, overpaid):
    by, imp, on = coop["by"], overpaid["imp"], overpaid["on"]
    sukarela = _interest_bearing("sukarela")
    _run_jasa(sukarela, on, by)
    c = login(by)
    got = c.get(f"/api/v1/deductions/imports/{imp.pk}/?on={on.isoformat()}").json()
    check = got["post_check"]
    assert check["on"] == on.isoformat() and check["ok"] is False, check
    assert check["error"]["code"] == "deduction_interest_run"
    assert sukarela.name in check["error"]["message"] and check["error"]["fields"]["on"]
    # the same answer as the posting's
    r = c.post(
        f"/api/v1/deductions/imports/{imp.pk}/post/",
        {"on": on.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"] == check["error"]
    # a date that is not one: the posting's refusal of it, no figures
    check = c.get(f"/api/v1/deductions/imports/{imp.pk}/?on=31-31-2026").json()["post_check"]
    assert check["ok"] is False and check["figures"] is None
    assert check["error"]["code"] == "deduction_bad_date" and check["error"]["fields"]["on"]


def test_confirmation_figures_are_what_the_posting_records(coop, overpaid):
    """No jasa run: the page asks to post, with the loan's principal as the loan still
    asked it, the over-payment counted to sukarela and named; the posting records
    exactly those figures."""
    by, imp, on, loan = coop["by"], overpaid["imp"], overpaid["on"], overpaid["loan"]
    c = login(by)
    url = f"/potong-gaji/impor/{imp.pk}/"
    box = c.post(url, {"action": "post", "on": on.isoformat()}).content.decode()
    box = box.split('id="confirm"')[1]
    figures = {
        _text(row.split("</td>")[0]): _text(row.split("</td>")[1])
        for row in box.split("</table>")[0].split("<tr")[1:]
    }
    note = _text(box.split("</table>")[1].split("</p>")[0])
    got_json = c.get(f"/api/v1/deductions/imports/{imp.pk}/?on={on.isoformat()}").json()
    c.post(url, {"action": "post", "on": on.isoformat(), "confirmed": "1"})
    imp.refresh_from_db()
    assert imp.status == "posted", imp.errors
    rep = Repayment.objects.get(loan=loan, channel="payroll")
    assert rep.excess > 0
    line = overpaid["line"]
    line.refresh_from_db()
    assert figures["Pokok pinjaman"] == format_rupiah(line.paid_principal), figures
    assert figures["Jasa pinjaman"] == format_rupiah(line.paid_jasa), figures
    assert figures["Ke simpanan sukarela"] == format_rupiah(line.to_sukarela), figures
    assert line.to_sukarela == rep.excess
    assert figures["di antaranya kelebihan angsuran pinjaman (1 pinjaman)"] == format_rupiah(
        rep.excess
    ), figures
    assert loan.number in note and format_rupiah(rep.excess) in note, note
    check = got_json["post_check"]
    assert check["ok"] is True and check["error"] is None
    assert D(check["figures"]["principal"]) == line.paid_principal
    assert D(check["figures"]["to_sukarela"]) == line.to_sukarela
    assert D(check["figures"]["loans_to_sukarela"]) == rep.excess
    acc = SavingsAccount.objects.get(member=coop["m"][0], product__kind="sukarela")
    assert acc.balance == rep.excess
    assert_reconciled()
