"""A payroll list that asks a loan's late penalty: the member's deductions page says
what was asked of the loan as the list asked it — its jasa with the penalty in it, and
the principal — and nothing short when the agency cut all of it. (The list keeps a
loan's penalty inside its ``jasa``, ``penalty`` naming that part of it; added on top it
counted the penalty twice: asked more than the list, a shortfall nobody owed.)"""

from datetime import date
from decimal import Decimal

from core.common.money import format_rupiah as r
from core.deductions.models import DeductionLine

from .conftest import Y, books_open_back_to, client_for, loan_disbursed, loan_product, text


def test_a_loan_penalty_asked_by_the_list_is_counted_once(tenant_a, staff, rina):
    from core.deductions.services import (
        deduction_import_post,
        deduction_import_upload,
        deduction_run_create,
        deduction_run_generate,
        deduction_settings_update,
    )

    by = staff["bendahara"]
    books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    loan = loan_disbursed(rina, loan_product(), staff, "5000000", 10, date(Y, 1, 10), date(Y, 2, 1))
    # February's instalment not paid: March's list asks it with its late penalty
    run = deduction_run_generate(run=deduction_run_create(year=Y, month=3, by=by), by=by)
    line = DeductionLine.objects.get(run=run, member=rina)
    (asked,) = line.loans
    penalty = Decimal(asked["penalty"])
    assert penalty > 0  # the case: a penalty asked
    loan_asked = line.jasa + line.principal  # the line's jasa holds the penalty
    assert line.total == line.wajib + loan_asked
    imp = deduction_import_upload(
        run=run,
        agency=rina.agency,
        content=f"NIP,Jumlah\n{rina.nip},{line.total}\n".encode(),
        file_name=f"realisasi-{Y}-3.csv",
        by=by,
    )
    deduction_import_post(imp=imp, by=by, on=date(Y, 3, 25))
    line.refresh_from_db()
    assert (line.realized, line.shortfall) == (line.total, 0)

    resp = client_for(tenant_a, rina.user).get("/portal/potong-gaji/")
    march = next(x for x in resp.context["page"] if x["period"] == date(Y, 3, 1))
    (part,) = march["parts"]["loans"]
    assert part["asked"] == loan_asked
    assert part["asked_penalty"] == penalty
    assert part["asked_jasa"] == line.jasa - penalty
    assert part["paid"] == loan_asked and part["carried"] == 0
    assert march["carried"] == 0
    shown = text(
        resp.content.decode().split(f'id="potong-gaji-{Y}-03"', 1)[1].split("</section>")[0]
    )
    assert f"Pinjaman {loan.number} {r(loan_asked)} {r(loan_asked)} Rp 0" in shown, shown
    assert f"Jumlah {r(line.total)} {r(line.total)} Rp 0" in shown, shown
