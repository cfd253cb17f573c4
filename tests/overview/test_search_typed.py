"""The top bar's search finds a member as the office types them: the NIP as printed on a
civil servant's papers (``19850315 201001 1 001``), a NIK with dots, a name with a curly
apostrophe when the register has a straight one (and the other way round)."""

from django.urls import reverse

from tests.members import factories as f


def _search(client, q):
    return client.get(reverse("overview:search"), {"q": q})


def test_printed_nip_dotted_nik_and_any_apostrophe_find_the_member(coop, client_for):
    c = client_for(coop["staff"]["petugas"])
    m = coop["m"][2]
    m.full_name = "Ni'mah Hasanah"
    m.save(update_fields=["full_name"])
    nip, nik = m.nip, m.nik
    url = reverse("members:detail", args=[m.pk])
    for q in (
        f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}",
        f"{nik[:6]}.{nik[6:12]}.{nik[12:]}",
        "ni’mah hasanah",
    ):
        r = _search(c, q)
        assert (r.status_code, r.get("Location")) == (302, url), q


def test_curly_apostrophe_in_the_register_found_with_a_straight_one(coop, client_for):
    c = client_for(coop["staff"]["petugas"])
    m = f.member(full_name="Ma’ruf Daulay")
    r = _search(c, "ma'ruf")
    assert (r.status_code, r.get("Location")) == (302, reverse("members:detail", args=[m.pk]))
