"""The jasa each member paid in the cut-over's year in the old books, by API: saved per
member for the year end's jasa anggota pool; a bad row is the one JSON error shape."""

from decimal import Decimal as D

from core.loans.models import JasaPaidBroughtIn

from .test_api import login

URL = "/api/v1/onboarding/shu-contributions/"


def test_contributions_by_api(move_in, staff, members, cutover):
    c = login(staff["bendahara"])
    rows = [
        {"row": 2, "member_number": members[0].number, "jasa": "1.200.000"},
        {"row": 3, "member_number": members[1].number, "jasa": 300000},
    ]
    r = c.post(URL, {"rows": rows}, "application/json")
    assert r.status_code == 201, r.content
    assert r.json() == {
        "year": cutover.year,
        "members": 2,
        "total": "1500000",
        "hidden_rows": [],
    }
    assert sorted(JasaPaidBroughtIn.objects.values_list("amount", flat=True)) == [
        D("300000"),
        D("1200000"),
    ]
    bad = [{"row": 2, "member_number": "X-1", "jasa": "abc"}]
    r = c.post(URL, {"rows": bad}, "application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "onboarding_rows_invalid"
    assert r.json()["error"]["fields"]["rows"][0]["row"] == 2
    assert JasaPaidBroughtIn.objects.count() == 2  # the earlier ones kept
    r = login(staff["petugas"]).post(URL, {"rows": rows}, "application/json")
    assert r.status_code == 403


def test_contributions_file_by_api_and_shown_on_the_move_in(move_in, staff, members, cutover):
    from .test_screens import csv_file

    c = login(staff["bendahara"])
    text = f"no anggota;nama;jasa dibayar\n{members[0].number};A;1.250.000\n"
    r = c.post(URL, {"file": csv_file(text, "jasa.csv")})
    assert r.status_code == 201, r.content
    assert r.json()["members"] == 1 and r.json()["total"] == "1250000"
    got = c.get("/api/v1/onboarding/").json()["move_in"]["shu_contributions"]
    assert got == {"year": cutover.year, "members": 1, "total": "1250000"}
    r = c.post(URL, {"file": csv_file("no anggota;nama;jasa dibayar\nX-1;A;5\n", "jasa.csv")})
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["rows"][0] == {
        "row": 2,
        "field": "member_number",
        "message": "Anggota X-1 tidak ada.",
    }
    assert JasaPaidBroughtIn.objects.get().amount == D("1250000")
