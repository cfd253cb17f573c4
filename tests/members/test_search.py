"""The member list's search box finds a member however the office types the query: the
NIP as it is printed on a civil servant's papers (``19850315 201001 1 001``), a NIK with
spaces, a name with a doubled space, or a name with a curly apostrophe (what phones and
word processors type) when the register has a straight one — and the other way round."""

import pytest
from django.test import Client
from django.urls import reverse

from core.members.selectors import member_search
from tests.members import factories as f


@pytest.fixture
def siti(in_tenant_a):
    return f.member(full_name="Siti Aminah")


def test_nip_as_printed_with_spaces(siti):
    nip = siti.nip
    assert list(member_search(q=f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}")) == [siti]
    assert list(member_search(q=f"{nip[:8]} {nip[8:14]}")) == [siti]


def test_nik_with_spaces_or_dots(siti):
    nik = siti.nik
    assert list(member_search(q=f"{nik[:6]} {nik[6:12]} {nik[12:]}")) == [siti]
    assert list(member_search(q=f"{nik[:6]}.{nik[6:12]}.{nik[12:]}")) == [siti]


def test_name_with_a_doubled_space(siti):
    assert list(member_search(q="siti  aminah")) == [siti]


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Ni'mah Hasanah", "Ni’mah"),
        ("Ni’mah Hasanah", "ni'mah"),
        ("Ma'ruf Amin", "MA`RUF"),
        ("Ma'ruf Amin", "ma'ruf"),
    ],
)
def test_name_with_any_apostrophe(in_tenant_a, stored, typed):
    m = f.member(full_name=stored)
    f.member(full_name="Nimah Lain")
    assert list(member_search(q=typed)) == [m]


def test_search_text_is_not_a_pattern(in_tenant_a):
    """``%`` and ``_`` in the query are plain characters, not wildcards."""
    f.member(full_name="Budi Santoso")
    assert list(member_search(q="B%o")) == []
    assert list(member_search(q="B_di")) == []
    # nor are regular-expression characters next to an apostrophe
    for q in ("O'(x[", "B'.*", "a'\\", "'+?{2}"):
        assert list(member_search(q=q)) == [], q


def test_member_list_page_finds_the_printed_nip(in_tenant_a, client_a):
    m = f.member(full_name="O'Neil Tambunan")
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    nip = m.nip
    for q in (f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}", "o’neil"):
        resp = c.get(reverse("members:list"), {"q": q})
        assert resp.status_code == 200
        assert m.number in resp.content.decode(), q
