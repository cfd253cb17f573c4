"""A payroll deduction never pays a loan off early: what the agency deducted beyond the
list goes to the member's sukarela. Posted, the batch's page tells the treasurer so on
the member's row, with a link to each running loan's payoff, which the loan page offers
from sukarela (``tests/loans/test_sukarela_payment.py``); a member with no excess or no
running loan gets none."""

from core.deductions import services as svc
from core.deductions.models import DeductionImport

from .conftest import csv_bytes, login, make_run


def _row_of(html: str, member) -> str:
    body = html.split('id="plan"')[1].split("</tbody>")[0]
    return next(r for r in body.split("<tr") if f"<td>{member.number}</td>" in r)


def test_posted_excess_in_sukarela_links_to_the_loans_payoff(coop, cutoffs):
    by = coop["by"]
    m2 = coop["m"][1]
    _prev, this = cutoffs
    loan = coop["loans"]["m2"]
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m2)
    # the agency's other members (m1 with a loan too), deducted what the list asked
    others = [(m, int(run.lines.get(member=m).total)) for m in (coop["m"][0], coop["m"][2])]
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m2.nip, int(line.total) + 300_000), *[(m.nip, a) for m, a in others]]),
        file_name="a.csv",
        by=by,
    )
    assert imp.status == "valid", imp.errors
    c = login(by)
    url = f"/potong-gaji/impor/{imp.pk}/"
    html = c.get(url).content.decode()
    assert f"/pinjaman/{loan.pk}/#pelunasan" not in html  # not posted yet
    c.post(url, {"action": "post", "confirmed": "1"})
    assert DeductionImport.objects.get(pk=imp.pk).status == "posted"
    html = c.get(url).content.decode()
    row = _row_of(html, m2)
    assert f"/pinjaman/{loan.pk}/#pelunasan" in row and loan.number in row
    # the other members had no excess: no link on their rows
    for m, _a in others:
        assert "#pelunasan" not in _row_of(html, m)
