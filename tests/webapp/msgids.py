"""The UI's msgids as ``makemessages`` finds them, and which of them have no English at
run time.

Extraction follows ``makemessages -l en --ignore=.venv --ignore=tests --ignore=bench``:
the same files (.py, .html, .txt; dot folders, ``locale`` and those three skipped), the
templates turned into Python by Django's ``templatize`` and the same ``xgettext`` call, all
in a temporary folder: the repository's .po files are never read or written. What counts
is what a user sees, so each msgid is looked up through ``django.utils.translation`` with
English active (every catalogue Django loads: ``locale/`` first, then the apps' own;
fuzzy entries are not compiled, so they count as missing).

``DJANGO_SETTINGS_MODULE=lumbung.settings.test python -m tests.webapp.msgids`` (from the
repository root, ``platform`` on PYTHONPATH as for the tests) prints the missing ones as
.po entries with their source lines, ready to translate and append to
locale/en/LC_MESSAGES/django.po.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXTENSIONS = {".py", ".html", ".txt"}
IGNORED_DIRS = {".venv", "tests", "bench", "locale", "node_modules", "staticfiles", "media"}
XGETTEXT = [
    "xgettext",
    "-d",
    "django",
    "--language=Python",
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
    "--from-code=UTF-8",
    "--no-wrap",
    "--output=-",
]

# Msgids whose English is the same text, on purpose: the Indonesian terms the English UI
# keeps (house style: SHU, jasa, simpanan wajib, provisi ...), words English shares, and
# names. Exact msgids; anything else must read differently in English. Msgids made only of
# acronyms (SHU, RAT, NPL, "PPAP (%%)"), numbers, placeholders and punctuation need no
# entry here: see ``same_in_english``.
SAME_IN_ENGLISH = frozenset(
    {
        # Indonesian terms the English catalogue keeps
        "Jasa",
        "jasa",
        "jasa (%)",
        "Total jasa",
        "Wajib",
        "Sukarela",
        "simpanan wajib",
        "wajib pinjam",
        "Wajib pinjam %s",
        "provisi",
        "Tenor",
        # the same word in English
        "Admin",
        "Audit",
        "Bank",
        "Bank / transfer",
        "Billing",
        "Cut-off",
        "Data",
        "Debit",
        "Debit %(d)s",
        "debit",
        "Domain",
        "domain",
        "E-mail",
        "e-mail",
        "Flat",
        "Go-live",
        "Menu",
        "No",
        "Operator",
        "Status",
        "status",
        "Support",
        "Teller",
        "Total",
        "Total %(a)s",
        "MRR (Rp)",
        "PPN (Rp)",
        # names
        "Bahasa Indonesia",
        "English",
        "Dinas Koperasi · Lumbung",
        # a payroll batch's reference on the member portal ("ref. JU-2026-00012")
        "ref. %(ref)s",
    }
)
_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sdifr%]|\{[^}]*\}")


def same_in_english(msgid: str) -> bool:
    """True for a msgid an English user may see unchanged: listed above, or nothing but
    acronyms (two or more capitals), numbers, placeholders and punctuation."""
    if msgid in SAME_IN_ENGLISH:
        return True
    words = re.findall(r"[^\W\d_]+", _PLACEHOLDER.sub(" ", msgid))
    return all(len(w) > 1 and w.isupper() for w in words)


@dataclass(frozen=True)
class Msg:
    msgid: str
    plural: str | None = None
    context: str | None = None
    locations: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


def source_files(root: Path = ROOT) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in IGNORED_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        )
        for name in sorted(filenames):
            if Path(name).suffix in EXTENSIONS and not name.startswith("."):
                found.append(Path(dirpath, name).relative_to(root))
    return found


def extract(root: Path = ROOT) -> list[Msg]:
    """Every msgid in the sources under ``root``, with its ``file:line`` locations."""
    from django.utils.translation import templatize

    with tempfile.TemporaryDirectory(prefix="msgids-") as tmp:
        work = []
        for rel in source_files(root):
            if rel.suffix == ".py":
                work.append(str(root / rel))
                continue
            try:
                text = (root / rel).read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            out = Path(tmp, f"{rel}.py")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(templatize(text, origin=str(rel)), encoding="utf-8")
            work.append(str(out))
        listing = Path(tmp, "files.txt")
        listing.write_text("\n".join(work), encoding="utf-8")
        run = subprocess.run(
            [*XGETTEXT, "--files-from", str(listing)], capture_output=True, text=True
        )
        if run.returncode != 0:
            raise RuntimeError(f"xgettext failed:\n{run.stderr}")
        prefixes = [(f"{tmp}/", True), (f"{root}/", False)]
        return parse_po(run.stdout, prefixes)


def _unquote(s: str) -> str:
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "a": "\a"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m[1], "\\" + m[1]), s[1:-1])


def _location(loc: str, prefixes) -> str:
    for prefix, templatized in prefixes:
        if loc.startswith(prefix):
            loc = loc[len(prefix) :]
            if templatized:
                path, _, line = loc.rpartition(":")
                loc = f"{path.removesuffix('.py')}:{line}"
            break
    return loc


def parse_po(text: str, prefixes=()) -> list[Msg]:
    """The entries of xgettext's output (the header left out)."""
    msgs: list[Msg] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fields: dict[str, str] = {}
        locations: list[str] = []
        flags: list[str] = []
        key = None
        for line in block.splitlines():
            if line.startswith("#:"):
                locations += [_location(x, prefixes) for x in line[2:].split()]
            elif line.startswith("#,"):
                flags += [f.strip() for f in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and key:
                fields[key] += _unquote(line)
            else:
                key, _, rest = line.partition(" ")
                fields[key] = _unquote(rest)
        if fields.get("msgid"):
            msgs.append(
                Msg(
                    msgid=fields["msgid"],
                    plural=fields.get("msgid_plural"),
                    context=fields.get("msgctxt"),
                    locations=tuple(locations),
                    flags=tuple(flags),
                )
            )
    return msgs


def english(msg: Msg) -> list[str]:
    """What an English user sees for ``msg`` (both plural forms for a plural)."""
    from django.utils import translation

    with translation.override("en"):
        if msg.plural and msg.context:
            return [translation.npgettext(msg.context, msg.msgid, msg.plural, n) for n in (1, 2)]
        if msg.plural:
            return [translation.ngettext(msg.msgid, msg.plural, n) for n in (1, 2)]
        if msg.context:
            return [translation.pgettext(msg.context, msg.msgid)]
        return [translation.gettext(msg.msgid)]


def missing_english(msgs: list[Msg]) -> list[Msg]:
    """The msgids an English user would see in Indonesian."""
    out = []
    for msg in msgs:
        if same_in_english(msg.msgid):
            continue
        source = [msg.msgid, msg.plural] if msg.plural else [msg.msgid]
        if any(got == src for got, src in zip(english(msg), source, strict=True)):
            out.append(msg)
    return out


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def as_po(msgs: list[Msg]) -> str:
    """``msgs`` as untranslated .po entries with their source lines."""
    parts = []
    for m in msgs:
        lines = [f"#: {' '.join(m.locations)}"] if m.locations else []
        if m.flags:
            lines.append(f"#, {', '.join(m.flags)}")
        if m.context is not None:
            lines.append(f"msgctxt {_quote(m.context)}")
        lines.append(f"msgid {_quote(m.msgid)}")
        if m.plural:
            lines += [f"msgid_plural {_quote(m.plural)}", 'msgstr[0] ""', 'msgstr[1] ""']
        else:
            lines.append('msgstr ""')
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def xgettext_available() -> bool:
    return shutil.which("xgettext") is not None


if __name__ == "__main__":
    import sys

    import django

    django.setup()
    sys.stdout.write(as_po(missing_english(extract())))
