"""Every address the README's "Using Lumbung" table tells a user about answers with a real
page for the role it names (never a 404): the table is parsed, so a prefix added to it
later is walked too."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tenants.services import tenant_host
from tests.webapp.conftest import make_user

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_addresses() -> list[tuple[str, str, str]]:
    """(host kind "apex"/"tenant", path, who) for every address in the table."""
    text = README.read_text()
    section = text.split("## Using Lumbung", 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[1] in ("where", "---"):
            continue
        who = cells[2]
        for address in re.findall(r"`([^`]+)`", cells[1]):
            if address.startswith("http"):
                found.append(("apex", "/" + address.split("/", 3)[3], who))
            elif address.startswith("/"):
                found.append(("tenant", address, who))
    return found


ADDRESSES = readme_addresses()


def test_the_table_names_the_main_screens():
    paths = {path for _kind, path, _who in ADDRESSES}
    assert {"/buku-besar/", "/anggota/", "/portal/", "/daftar/", "/konsol/"} <= paths
    assert len(ADDRESSES) >= 20


@pytest.mark.parametrize(("kind", "path", "who"), ADDRESSES, ids=[a[1] for a in ADDRESSES])
def test_readme_address_is_a_page(kind, path, who, tenant_a, in_tenant_a):
    if kind == "apex":  # anyone (sign-up) or operators (their login page first)
        client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    else:
        role = "anggota" if who == "anggota" else "admin"
        client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        client.force_login(make_user(role, email=f"{role}@readme.test"))
    first = client.get(path)
    assert first.status_code != 404, f"{path} ({who}) answers 404"
    final = client.get(path, follow=True)
    assert final.status_code == 200, f"{path} ({who}) ends at {final.status_code}"
