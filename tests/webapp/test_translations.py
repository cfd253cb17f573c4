"""English is complete: every msgid in the code and templates has an English translation
that a user actually gets (the compiled catalogues, fuzzy entries not counted), and the
committed .mo files are what their .po files compile to. Extraction runs xgettext as
``makemessages`` does, into a temporary folder (tests/webapp/msgids.py); the repository's
.po files are only read."""

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from tests.webapp import msgids

needs_gettext = pytest.mark.skipif(
    not msgids.xgettext_available(),
    reason="GNU gettext (xgettext, msgfmt) is not installed: apt-get install gettext",
)

CATALOGUES = [
    msgids.ROOT / "locale/en/LC_MESSAGES/django.po",
    msgids.ROOT / "tenants/locale/en/LC_MESSAGES/django.po",
    # Indonesian for DRF's own English messages (tests/webapp/test_api_indonesian_errors.py)
    msgids.ROOT / "locale/id/LC_MESSAGES/django.po",
]


@needs_gettext
def test_every_msgid_has_an_english_translation_at_run_time():
    found = msgids.extract()
    assert len(found) > 2000  # the whole UI was read, not a corner of it
    missing = msgids.missing_english(found)
    if missing:
        pytest.fail(
            f"{len(missing)} msgid(s) show in Indonesian to an English user. Translate them "
            "at the end of locale/en/LC_MESSAGES/django.po and run `msgfmt -o "
            "locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po` (or, if the "
            "English really is the same text, add the msgid to SAME_IN_ENGLISH in "
            "tests/webapp/msgids.py):\n\n" + msgids.as_po(missing),
            pytrace=False,
        )


@needs_gettext
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(msgids.ROOT)))
def test_committed_mo_is_the_compiled_po(po: Path, tmp_path):
    """msgfmt -c accepts the .po (no duplicate msgid, placeholders kept in python-format
    entries, a clean header) and the committed .mo holds exactly what it compiles to: an
    entry added to the .po without rebuilding the .mo is caught here."""
    fresh = tmp_path / "django.mo"
    run = subprocess.run(
        ["msgfmt", "-c", "-o", str(fresh), str(po)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    if po == CATALOGUES[0]:
        assert run.stderr == "", run.stderr
    with open(fresh, "rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog
    with open(po.with_suffix(".mo"), "rb") as f:
        committed = gettext.GNUTranslations(f)._catalog
    stale = sorted(str(k) for k in set(compiled) ^ set(committed))
    stale += sorted(str(k) for k in set(compiled) & set(committed) if compiled[k] != committed[k])
    assert not stale, f"{po.with_suffix('.mo').name} is not rebuilt from the .po: {stale[:20]}"


def test_a_msgid_without_english_is_reported_with_its_place():
    absent = msgids.Msg("Kalimat ini belum pernah diterjemahkan.", locations=("core/x.py:7",))
    known = msgids.Msg("Pindah ke Lumbung")
    kept = msgids.Msg("SHU")
    plural = msgids.Msg("%(n)s rekening", plural="%(n)s rekening")
    new_plural = msgids.Msg("%(n)s kalimat baru", plural="%(n)s kalimat baru")
    assert msgids.missing_english([absent, known, kept, plural, new_plural]) == [
        absent,
        new_plural,
    ]
    assert "#: core/x.py:7\n" in msgids.as_po([absent])
    with translation.override("en"):
        assert translation.gettext("Pindah ke Lumbung") == "Move to Lumbung"


def test_same_in_english_takes_listed_msgids_and_acronyms_only():
    for same in ("SHU", "NPL: %(n)s%% (%(b)s)", "PPAP (%%)", "%(a)s – %(b)s", "Total", "Go-live"):
        assert msgids.same_in_english(same), same
    for other in ("Hapus", "Tarif pajak (%%)", "SHU saya", "Rp", "Jasa pinjaman"):
        assert not msgids.same_in_english(other), other


@needs_gettext
def test_extraction_reads_code_and_templates_like_makemessages(tmp_path):
    (tmp_path / "app/templates").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "app/views.py").write_text(
        "from django.utils.translation import gettext as _, pgettext_lazy, ngettext\n"
        "A = _('Simpan')\n"
        "B = pgettext_lazy('menu', 'Anggota')\n"
        "C = ngettext('%(n)s baris', '%(n)s baris', 2)\n"
    )
    (tmp_path / "app/templates/page.html").write_text(
        "{% load i18n %}\n<p>{% translate 'Tarif (%)' %}</p>\n"
        "{% blocktranslate with d=x %}Tanggal {{ d }}{% endblocktranslate %}\n"
    )
    (tmp_path / "tests/test_x.py").write_text("_('Tidak dibaca')\n")
    found = {(m.context, m.msgid, m.plural): m.locations for m in msgids.extract(tmp_path)}
    assert found == {
        (None, "Simpan", None): ("app/views.py:2",),
        ("menu", "Anggota", None): ("app/views.py:3",),
        (None, "%(n)s baris", "%(n)s baris"): ("app/views.py:4",),
        (None, "Tarif (%%)", None): ("app/templates/page.html:2",),
        (None, "Tanggal %(d)s", None): ("app/templates/page.html:3",),
    }


# The names xgettext reads in Python (its defaults and XGETTEXT's keywords, as makemessages
# passes them): a translation function imported under another name (``gettext_lazy as
# _l``) marks nothing that makemessages or ``msgids.extract`` can find, so its strings
# never reach the .po and show in Indonesian to an English reader, unreported.
READ_BY_XGETTEXT = frozenset(
    {"_", "gettext", "ngettext", "pgettext", "npgettext"}
    | {
        kw.split("=", 1)[1].split(":", 1)[0]
        for kw in msgids.XGETTEXT
        if kw.startswith("--keyword=")
    }
)
IMPORT_AS = re.compile(r"\b(\w*gettext\w*)\s+as\s+(\w+)")


def gettext_aliases(root: Path = msgids.ROOT) -> list[str]:
    found = []
    for path in msgids.source_files(root):
        if path.suffix != ".py":
            continue
        for n, line in enumerate((root / path).read_text(encoding="utf-8").splitlines(), 1):
            for function, alias in IMPORT_AS.findall(line):
                if alias not in READ_BY_XGETTEXT:
                    found.append(f"{path}:{n}: {function} as {alias}")
    return found


def test_translation_functions_are_imported_under_names_makemessages_reads():
    aliases = gettext_aliases()
    assert not aliases, (
        "makemessages (xgettext) does not read these names, so their strings are never "
        "extracted nor translated: import the function as `_` or by its own name:\n"
        + "\n".join(aliases)
    )


def test_an_alias_makemessages_cannot_read_is_found(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app/views.py").write_text(
        "from django.utils.translation import gettext_lazy as _l\n"
        "from django.utils.translation import gettext as _, pgettext_lazy\n"
        "from django.utils.translation import ngettext_lazy as ngettext_lazy\n"
    )
    assert gettext_aliases(tmp_path) == ["app/views.py:1: gettext_lazy as _l"]
