"""What the dashboard and the member portal read of the deduction cycle."""

import re

from core.deductions.exports import agency_xlsx
from core.deductions.selectors import deduction_run_status, member_deduction_history
from core.deductions.services import deduction_import_post, deduction_import_upload
from tests.deductions.conftest import filled_xlsx, make_run


def test_run_status_and_member_history_follow_the_cycle(coop, cutoffs):
    by = coop["by"]
    ag_a, _ag_b = coop["agencies"]
    m1, m2, m3, _m4 = coop["m"]
    _prev, this = cutoffs
    assert deduction_run_status(year=this.year, month=this.month) is None

    run = make_run(on=this, by=by)
    [status] = deduction_run_status(year=this.year, month=this.month)
    asked = sum(line.total for line in run.lines.all())
    assert status["expected"] == asked
    assert status["realized"] is None
    assert "0 dari 2" in status["status"]
    [before] = member_deduction_history(member=m1)
    assert before["realized"] is None and before["shortfall"] is None

    line1 = run.lines.get(member=m1)
    amounts = {m1.nip: 1500000, m2.nip: int(run.lines.get(member=m2).total), m3.nip: 0}
    content = filled_xlsx(agency_xlsx(run=run, agency=ag_a), amounts)
    imp = deduction_import_upload(run=run, agency=ag_a, content=content, file_name="r.xlsx", by=by)
    deduction_import_post(imp=imp, by=by)

    [status] = deduction_run_status(year=this.year, month=this.month)
    assert "1 dari 2" in status["status"]
    assert status["realized"] == sum(amounts.values())
    [after] = member_deduction_history(member=m1)
    assert after["period"].month == this.month
    assert after["expected"] == line1.total
    assert after["realized"] == 1500000
    assert after["shortfall"] == line1.total - 1500000


def test_member_sees_own_deductions_in_the_portal(coop, cutoffs, client_a):
    from tests.webapp.conftest import make_user

    by = coop["by"]
    m1 = coop["m"][0]
    _prev, this = cutoffs
    run = make_run(on=this, by=by)
    user = make_user("anggota", email="m1@alpha.test")
    m1.user = user
    m1.save(update_fields=["user"])
    client_a.force_login(user)
    body = client_a.get("/portal/potong-gaji/").content.decode()
    total = run.lines.get(member=m1).total
    assert f"Rp {int(total):,}".replace(",", ".") in body
    assert "belum diposting" in body


def test_portal_home_shows_the_last_payroll_deduction(coop, cutoffs, client_a):
    from core.deductions.selectors import member_last_deduction
    from tests.webapp.conftest import make_user

    by = coop["by"]
    ag_a, _ag_b = coop["agencies"]
    m1, m2, m3, _m4 = coop["m"]
    _prev, this = cutoffs
    assert member_last_deduction(member=m1) is None
    run = make_run(on=this, by=by)
    user = make_user("anggota", email="m1home@alpha.test")
    m1.user = user
    m1.save(update_fields=["user"])
    client_a.force_login(user)
    waiting = client_a.get("/portal/").content.decode()
    assert "belum diposting" in waiting

    amounts = {m1.nip: 1500000, m2.nip: int(run.lines.get(member=m2).total), m3.nip: 0}
    content = filled_xlsx(agency_xlsx(run=run, agency=ag_a), amounts)
    imp = deduction_import_upload(run=run, agency=ag_a, content=content, file_name="r.xlsx", by=by)
    deduction_import_post(imp=imp, by=by)
    last = member_last_deduction(member=m1)
    assert last["realized"] == 1500000
    body = client_a.get("/portal/").content.decode()
    section = body.split('id="portal-last-deduction"', 1)[1].split("</div>", 1)[0]
    section = re.sub(r"<[^>]+>", "", section)  # the text a member reads (amounts in spans)
    assert "Rp 1.500.000" in section
    short = run.lines.get(member=m1).total - 1500000
    if short:
        assert f"kurang Rp {int(short):,}".replace(",", ".") in section
