"""Money that will go to sukarela instead of where the list planned it (a loan paid off
at the counter since the list was made, a purpose account already full): the preview
and the confirmation say so per member and in the agency's totals, with the figures the
posting then records; the member's savings transaction names the closed loan."""

from decimal import Decimal as D

from core.common.money import format_rupiah
from core.deductions import services as svc
from core.deductions.models import DeductionImport
from core.loans.schedules import add_months
from core.loans.services import loan_payoff
from core.savings.models import SavingsProduct, SavingsTransaction
from core.savings.services import savings_account_open, teller_deposit

from .conftest import csv_bytes, login, make_run


def _upload(coop, run, amounts):
    return svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m.nip, a) for m, a in amounts]),
        file_name="a.csv",
        by=coop["by"],
    )


def _preview_row(c, imp, member) -> dict:
    r = c.get(f"/api/v1/deductions/imports/{imp.pk}/")
    assert r.status_code == 200, r.content
    return next(x for x in r.json()["preview"] if x["member_number"] == member.number)


def _closed_loan_case(coop, cutoffs):
    by = coop["by"]
    m2 = coop["m"][1]
    _prev, this = cutoffs
    a = coop["loans"]["m2"]
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m2)
    asked = {int(x["loan_id"]): D(x["jasa"]) + D(x["principal"]) for x in line.loans}
    loan_payoff(loan=a, by=by, on=this)  # paid off at the counter after the list
    imp = _upload(coop, run, [(m2, int(line.total))])
    assert imp.status == "valid", imp.errors
    return m2, a, line, asked[a.pk], imp


def test_preview_says_a_closed_loans_instalment_goes_to_sukarela(coop, cutoffs):
    m2, a, line, instalment, imp = _closed_loan_case(coop, cutoffs)
    c = login(coop["by"])
    url = f"/potong-gaji/impor/{imp.pk}/"
    html = c.get(url).content.decode()
    note = f"Pinjaman {a.number} sudah lunas: {format_rupiah(instalment)} masuk sukarela"
    assert note in html
    foot = html.split('id="plan-totals"')[1].split("</tfoot>")[0]
    cells = [x.split("<")[0] for x in foot.split('class="num">')[1:]]
    # jasa, pokok, wajib, lainnya, ke sukarela: the instalment is in "ke sukarela"
    assert cells[-1] == format_rupiah(instalment), cells
    assert "dialihkan ke sukarela" in html
    # the API's preview row
    row = _preview_row(c, imp, m2)
    assert D(row["to_sukarela"]) == instalment
    assert D(row["paid"]["jasa"]) == 0 and D(row["paid"]["principal"]) == 0
    assert row["redirects"] == [
        {
            "kind": "loan",
            "number": a.number,
            "amount": f"{instalment:.2f}",
            "text": note,
        }
    ]
    # the confirmation before posting
    box = c.post(url, {"action": "post"}).content.decode().split('id="confirm"')[1]
    assert note in box
    sukarela = box.split("Ke simpanan sukarela")[1].split("</tr>")[0]
    assert format_rupiah(instalment) in sukarela
    # posted: the line records what the preview said
    c.post(url, {"action": "post", "confirmed": "1"})
    line.refresh_from_db()
    assert line.to_sukarela == D(row["to_sukarela"])
    assert line.paid_jasa == D(row["paid"]["jasa"])
    assert line.paid_principal == D(row["paid"]["principal"])
    assert line.paid_wajib == D(row["paid"]["wajib"])
    detail = {x["loan_id"]: x for x in line.paid_detail["loans"]}
    assert D(detail[a.pk]["to_sukarela"]) == instalment


def test_preview_says_a_full_purpose_account_sends_the_rest_to_sukarela(coop, cutoffs):
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
    c = login(by)
    url = f"/potong-gaji/impor/{imp.pk}/"
    html = c.get(url).content.decode()
    note = f"Simpanan {acc.number} sudah penuh: {format_rupiah(70000)} masuk sukarela"
    assert note in html
    row = _preview_row(c, imp, m3)
    assert D(row["to_sukarela"]) == D("75000")  # what does not fit + the excess
    assert D(row["paid"]["others"]) == D("30000")
    c.post(url, {"action": "post", "confirmed": "1"})
    line.refresh_from_db()
    assert line.to_sukarela == D(row["to_sukarela"]) and line.paid_others == D("30000")


def test_closed_loans_instalment_credit_names_the_loan(coop, cutoffs):
    m2, a, line, instalment, imp = _closed_loan_case(coop, cutoffs)
    imp = svc.deduction_import_post(imp=imp, by=coop["by"])
    data = DeductionImport.objects.get(pk=imp.pk).posted_data
    txns = SavingsTransaction.objects.filter(
        pk__in=data["savings_transactions"],
        account__member=m2,
        account__product__kind="sukarela",
    )
    memos = {t.memo: t.amount for t in txns}
    assert memos == {
        f"Angsuran pinjaman {a.number} yang sudah lunas (potong gaji {line.run.label})": (
            instalment
        )
    }, memos
