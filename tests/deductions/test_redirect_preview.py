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


# --------------------------------------------------------------- after the posting


def _row_of(html: str, member) -> str:
    """The member's row of the allocation table."""
    body = html.split('id="plan"')[1].split("</tbody>")[0]
    return next(r for r in body.split("<tr") if f"<td>{member.number}</td>" in r)


def _redirected_summary(html: str) -> str:
    return html.split('id="redirected"')[1].split("</p>")[0]


def test_posted_page_says_per_member_where_a_closed_loans_instalment_went(coop, cutoffs):
    """Posted, the batch's page still tells the treasurer, on the member's row and in
    the agency's summary, that the closed loan's instalment went to sukarela (read from
    what the batch recorded), not only the larger "ke sukarela" figure."""
    m2, a, line, instalment, imp = _closed_loan_case(coop, cutoffs)
    c = login(coop["by"])
    url = f"/potong-gaji/impor/{imp.pk}/"
    note = f"Pinjaman {a.number} sudah lunas: {format_rupiah(instalment)} masuk sukarela"
    c.post(url, {"action": "post", "confirmed": "1"})
    assert DeductionImport.objects.get(pk=imp.pk).status == "posted"
    html = c.get(url).content.decode()
    assert note in _row_of(html, m2)
    summary = _redirected_summary(html)
    assert "1 anggota" in summary and format_rupiah(instalment) in summary
    foot = html.split('id="plan-totals"')[1].split("</tfoot>")[0]
    cells = [x.split("<")[0] for x in foot.split('class="num">')[1:]]
    assert cells[-1] == format_rupiah(instalment), cells  # counted once in "ke sukarela"
    row = _preview_row(c, imp, m2)  # the API's row of the posted batch says it too
    assert [r["text"] for r in row["redirects"]] == [note]
    assert D(row["to_sukarela"]) == instalment


def _full_purpose_accounts(members, prev):
    """A berjangka account per member, 100,000 a month, opened before the list."""
    product = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    return {
        m.pk: savings_account_open(
            member=m, product=product, on=add_months(prev, -1), monthly_amount=D("100000")
        )
        for m in members
    }, D("100000") * product.term_months


def test_posted_page_names_each_full_account_with_a_fixed_number_of_queries(coop, cutoffs):
    """Agency A (three members) and B (one), every member's purpose account filled at
    the counter after the list: each posted page names each member's account and the
    rupiah that went to sukarela, and A's page costs no more queries than B's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    prev, this = cutoffs
    by = coop["by"]
    accounts, target = _full_purpose_accounts(coop["m"], prev)
    run = make_run(on=this, by=by)
    for acc in accounts.values():
        teller_deposit(account=acc, amount=target - D("30000"), channel="cash", on=this, by=by)
    c = login(by)
    pages = {}
    for ag in coop["agencies"]:
        lines = list(run.lines.filter(agency=ag))
        imp = svc.deduction_import_upload(
            run=run,
            agency=ag,
            content=csv_bytes([(ln.nip, int(ln.total)) for ln in lines]),
            file_name=f"{ag.code}.csv",
            by=by,
        )
        svc.deduction_import_post(imp=imp, by=by)
        pages[ag.code] = (f"/potong-gaji/impor/{imp.pk}/", ag)
    counts = {}
    for url, _ag in pages.values():
        c.get(url)  # the host lookup and the session's first save: not the page's own
    for code, (url, ag) in pages.items():
        with CaptureQueriesContext(connection) as ctx:
            html = c.get(url).content.decode()
        counts[code] = len(ctx.captured_queries)
        ag_members = [m for m in coop["m"] if m.agency_id == ag.pk]
        for m in ag_members:
            note = (
                f"Simpanan {accounts[m.pk].number} sudah penuh: "
                f"{format_rupiah(70000)} masuk sukarela"
            )
            assert note in _row_of(html, m), (code, m.number)
        summary = _redirected_summary(html)
        assert f"{len(ag_members)} anggota" in summary
        assert format_rupiah(70000 * len(ag_members)) in summary
    assert [len([m for m in coop["m"] if m.agency_id == ag.pk]) for _u, ag in pages.values()] == [
        3,
        1,
    ]
    assert counts["DISDIK"] == counts["DINKES"], counts
