"""Screens and REST API: roles (bendahara/admin write, pengawas reads), the generation
task with progress, downloads, upload → preview → post through the API, the demo seeder."""

import io
from decimal import Decimal as D

from core.deductions.models import DeductionLine, DeductionRun
from core.deductions.tasks import deduction_run_generate_task

from .conftest import csv_bytes, login


def test_generation_task_fills_the_run_and_progress_is_shown(
    coop, cutoffs, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "core.deductions.tasks.deduction_run_generate_task.delay",
        lambda *a: sent.append(a),
    )
    c = login(coop["by"])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/potong-gaji/", {"year": cutoffs[1].year, "month": cutoffs[1].month})
    assert r.status_code == 302
    run = DeductionRun.objects.get(year=cutoffs[1].year, month=cutoffs[1].month)
    assert sent == [(run.pk, coop["by"].pk)]
    page = c.get(f"/potong-gaji/{run.pk}/progres/")
    assert b"hx-get" in page.content  # still generating: the fragment keeps polling
    assert deduction_run_generate_task(run.pk, coop["by"].pk) == 4
    run.refresh_from_db()
    assert run.status == "ready" and run.progress_done == run.progress_total == 4
    page = c.get(f"/potong-gaji/{run.pk}/progres/")
    assert page.headers.get("HX-Refresh") == "true"


def test_pengawas_reads_but_cannot_write(coop, ready_run):
    c = login(coop["staff"]["pengawas"])
    assert c.get("/potong-gaji/").status_code == 200
    assert c.get(f"/potong-gaji/{ready_run.pk}/").status_code == 200
    assert c.get(f"/potong-gaji/{ready_run.pk}/rekonsiliasi/").status_code == 200
    assert c.get(f"/potong-gaji/{ready_run.pk}/unduh.xlsx").status_code == 200
    assert c.post("/potong-gaji/", {"year": 2026, "month": 1}).status_code == 403
    r = c.post(
        f"/api/v1/deductions/runs/{ready_run.pk}/imports/",
        {"agency": coop["agencies"][0].pk, "file": io.BytesIO(b"NIP,Jumlah\n")},
    )
    assert r.status_code == 403
    petugas = login(coop["staff"]["petugas"])
    assert petugas.post("/api/v1/deductions/runs/", {"year": 2026, "month": 1}).status_code == 403


def test_screens_render_for_bendahara(coop, ready_run):
    c = login(coop["by"])
    ag = coop["agencies"][0]
    for url in (
        "/potong-gaji/",
        "/potong-gaji/pengaturan/",
        f"/potong-gaji/{ready_run.pk}/",
        f"/potong-gaji/{ready_run.pk}/rekonsiliasi/?kurang=1",
        f"/potong-gaji/anggota/{coop['m'][0].pk}/",
    ):
        assert c.get(url).status_code == 200, url
    pdf = c.get(f"/potong-gaji/{ready_run.pk}/unduh.pdf?agency={ag.pk}")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    m1 = coop["m"][0]
    f = io.BytesIO(csv_bytes([(m1.nip, 100000)]))
    f.name = "r.csv"
    r = c.post(f"/potong-gaji/{ready_run.pk}/", {"upload": "1", "agency": ag.pk, "file": f})
    assert r.status_code == 302 and "/impor/" in r.url
    page = c.get(r.url)
    assert "Pratinjau alokasi" in page.content.decode()
    url = r.url
    r = c.post(url, {"action": "post"})  # first the confirmation, nothing posted
    box = r.content.decode().split('id="confirm"')[1]
    assert "Total realisasi (masuk bank)" in box and "Ya, posting Rp 100.000" in box
    assert DeductionLine.objects.get(run=ready_run, member=m1).realized is None
    r = c.post(url, {"action": "post", "confirmed": "1"})
    assert DeductionLine.objects.get(run=ready_run, member=m1).realized == D("100000")
    # posted: the table is the allocation as posted, no longer a preview
    html = c.get(url).content.decode()
    assert "Alokasi yang diposting" in html and "Pratinjau alokasi" not in html


def test_api_cycle_create_export_upload_preview_post(coop, ready_run):
    c = login(coop["by"])
    ag = coop["agencies"][0]
    r = c.get(f"/api/v1/deductions/runs/{ready_run.pk}/")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    assert {a["code"] for a in r.json()["agencies"]} == {"DISDIK", "DINKES"}
    x = c.get(f"/api/v1/deductions/runs/{ready_run.pk}/export.xlsx?agency={ag.pk}")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert c.get(f"/api/v1/deductions/runs/{ready_run.pk}/export.exe").status_code == 404
    m1, m2 = coop["m"][:2]
    f = io.BytesIO(csv_bytes([(m1.nip, 1000), (m2.nip, "x")]))
    f.name = "r.csv"
    r = c.post(f"/api/v1/deductions/runs/{ready_run.pk}/imports/", {"agency": ag.pk, "file": f})
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "invalid" and body["errors"][0]["row"] == 3
    r = c.post(f"/api/v1/deductions/imports/{body['id']}/post/")
    assert r.status_code == 400 and r.json()["error"]["code"] == "deduction_file_invalid"
    r = c.post(
        f"/api/v1/deductions/imports/{body['id']}/exclude/",
        {"rows": [3]},
        content_type="application/json",
    )
    assert r.json()["status"] == "valid"
    r = c.get(f"/api/v1/deductions/imports/{body['id']}/")
    preview = {p["nip"]: p for p in r.json()["preview"]}
    assert preview[m1.nip]["paid"]["jasa"] == "1000.00"
    r = c.post(f"/api/v1/deductions/imports/{body['id']}/post/")
    assert r.status_code == 200 and r.json()["status"] == "posted"
    r = c.post(f"/api/v1/deductions/imports/{body['id']}/post/")
    assert r.status_code == 409


def test_demo_seeder_is_idempotent(coop):
    from core.deductions.models import DeductionImport
    from core.deductions.seeding import deductions_demo_seed

    deductions_demo_seed()
    runs = DeductionRun.objects.count()
    posted = DeductionImport.objects.filter(status="posted").count()
    assert runs == 2 and posted == 2
    deductions_demo_seed()
    assert DeductionRun.objects.count() == runs
    assert DeductionImport.objects.filter(status="posted").count() == posted


def test_export_of_an_agency_whose_code_has_a_slash_downloads(coop, cutoffs):
    """Agency codes like "SETDA/BKD" are accepted by the members module, but an Excel
    sheet name may not hold / \\ : * ? [ ]: the agency's list and the all-agencies
    workbook were a 500. The sheet is named without them now, the download's file name
    too, and the filled list is read back as the agency's own (by its mark)."""
    from openpyxl import load_workbook

    from core.deductions.services import deduction_import_upload
    from core.members.models import Agency

    from .conftest import filled_xlsx, make_run

    ag = coop["agencies"][0]
    Agency.objects.filter(pk=ag.pk).update(code="SETDA/BKD:[1]?")
    ag.refresh_from_db()
    run = make_run(on=cutoffs[1], by=coop["by"])
    c = login(coop["staff"]["pengawas"])
    c.raise_request_exception = False
    for url in (
        f"/potong-gaji/{run.pk}/unduh.xlsx?agency={ag.pk}",
        f"/potong-gaji/{run.pk}/unduh.xlsx",
        f"/potong-gaji/{run.pk}/unduh.pdf?agency={ag.pk}",
        f"/api/v1/deductions/runs/{run.pk}/export.xlsx?agency={ag.pk}",
    ):
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
        name = r["Content-Disposition"].split("filename=", 1)[1].strip('"')
        assert not set(name) & set('/\\:*?[]"'), name
    content = c.get(f"/potong-gaji/{run.pk}/unduh.xlsx?agency={ag.pk}").content
    assert load_workbook(io.BytesIO(content)).sheetnames == ["SETDA-BKD--1--"]
    m1 = coop["m"][0]
    imp = deduction_import_upload(
        run=run,
        agency=ag,
        content=filled_xlsx(content, {m1.nip: 1000}),
        file_name="r.xlsx",
        by=coop["by"],
    )
    assert imp.status == "valid", (imp.errors, imp.file_errors)
