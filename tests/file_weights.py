"""The order ``lumbung-dev test`` hands files to its workers: longest first.

``lumbung-dev test`` runs two xdist workers that take whole files (``--dist loadfile``) in
collection order (``--no-loadscope-reorder``). xdist's own order (the files with most
tests first) left the long files with one or a few tests (the bench smokes, the fresh
machine, the year's books) for the end, one worker busy with them while the other sat
idle. ``tests/conftest.py`` sorts the collected files by their seconds in
``file_weights.json`` (a full run's per-file total), longest first; a file not listed
there goes after the listed ones, in the usual order. The weights only order the run: a
stale file makes it slower, never wrong.

Refresh them from a full run's JUnit report::

    make test ARGS="--junitxml=/tmp/junit.xml"
    .venv/bin/python -m tests.file_weights /tmp/junit.xml
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

WEIGHTS = Path(__file__).with_name("file_weights.json")


def load() -> dict[str, float]:
    try:
        return json.loads(WEIGHTS.read_text())
    except FileNotFoundError:
        return {}


def from_junit(path: str) -> dict[str, float]:
    """Seconds per test file (``tests/app/test_x.py``) in a pytest JUnit XML report."""
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(path).iter("testcase"):
        parts = case.get("classname", "").split(".")
        files = [i for i, p in enumerate(parts) if p.startswith("test_")]
        if not files:
            continue
        seconds["/".join(parts[: files[-1] + 1]) + ".py"] += float(case.get("time") or 0)
    return dict(seconds)


def main(argv: list[str]) -> None:
    weights = {f: round(s, 1) for f, s in sorted(from_junit(argv[0]).items()) if s >= 1}
    WEIGHTS.write_text(json.dumps(weights, indent=0, sort_keys=True) + "\n")
    sys.stdout.write(f"{WEIGHTS}: {len(weights)} files, {sum(weights.values()):.0f} s in all\n")


if __name__ == "__main__":
    main(sys.argv[1:])
