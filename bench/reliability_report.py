"""Regenerate docs/reliability.md from a real run of the attack, fault and restore tests.

    .venv/bin/python bench/reliability_report.py            # runs the tests (~10 min)
    .venv/bin/python bench/reliability_report.py --from run.json   # re-render a run

It runs pytest once over the attack tests (every role x every URL, cross-tenant access,
forged hosts and client addresses, schemathesis over every API operation), the fault tests
(tests/faults/) and the backup/restore test, with ``tests.reliability_plugin`` recording
every request the tests send through Django and its status, and every test's outcome and
recorded properties. Every figure in the page is computed from that record: attempts and
refusals per category, 5xx answers, faults injected and survived, restore verified."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"

# (category, test path or node id prefix); the first match wins.
CATEGORIES: list[tuple[str, str]] = [
    ("Forged hosts", "tests/webapp/test_roles.py::test_unknown_host_and_page_get_the_404_page"),
    ("Forged hosts", "tests/tenants/test_isolation.py::test_unknown_host_is_refused_with_404"),
    ("Role × URL", "tests/webapp/test_roles.py"),
    ("Cross-tenant", "tests/tenants/test_isolation.py"),
    ("Cross-tenant", "tests/tenants/test_cross_tenant_ids.py"),
    ("Cross-tenant", "tests/users/test_api_keys.py::test_a_key_of_cooperative_a_is_refused_at_b"),
    ("API fuzzing (schemathesis)", "tests/webapp/test_api_fuzz.py"),
    ("Faults", "tests/faults/"),
    ("Backup and restore", "tests/tenants/test_backup_restore.py"),
]
ATTACKS = [
    "Role × URL",
    "Cross-tenant",
    "Forged hosts",
    "API fuzzing (schemathesis)",
]
LOGIN_PATHS = ("/masuk/", "/konsol/masuk/", "login")


def category_of(nodeid: str) -> str | None:
    for name, prefix in CATEGORIES:
        if nodeid.startswith(prefix):
            return name
    return None


def refused(status: int, location: str) -> bool:
    """A refusal: a 4xx, or a redirect to a login page."""
    if 400 <= status < 500:
        return True
    return 300 <= status < 400 and any(p in location for p in LOGIN_PATHS)


def run_tests(out: Path) -> int:
    targets = sorted({p.split("::")[0] for _n, p in CATEGORIES})
    node_args = []
    for target in targets:
        prefixes = [p for _n, p in CATEGORIES if p.split("::")[0] == target]
        if all("::" in p for p in prefixes):
            node_args += prefixes  # only those tests of the file
        else:
            node_args.append(target)
    env = os.environ | {"RELIABILITY_OUT": str(out)}
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
        "-p", "tests.reliability_plugin", *node_args,
    ]  # fmt: skip
    print("$", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env)


def summarise(data: dict) -> dict:
    cats: dict[str, dict] = defaultdict(
        lambda: {
            "tests": 0,
            "passed": 0,
            "skipped": 0,
            "requests": 0,
            "refused": 0,
            "answered": 0,
            "5xx": 0,
        }
    )
    for nodeid, test in data["tests"].items():
        name = category_of(nodeid)
        if name is None:
            continue
        if test["outcome"] == "skipped":
            cats[name]["skipped"] += 1
            continue
        cats[name]["tests"] += 1
        cats[name]["passed"] += test["outcome"] == "passed"
    for nodeid, status, location in data["requests"]:
        name = category_of(nodeid)
        if name is None:
            continue
        c = cats[name]
        c["requests"] += 1
        if status >= 500:
            c["5xx"] += 1
        elif refused(status, location):
            c["refused"] += 1
        else:
            c["answered"] += 1
    faults = []
    restore = []
    for nodeid, test in sorted(data["tests"].items()):
        props = test["properties"]
        if "fault" in props:
            faults.append((props["fault"], nodeid, test["outcome"] == "passed"))
        if category_of(nodeid) == "Backup and restore":
            restore.append((nodeid, test["outcome"] == "passed", props))
    failed = sorted(n for n, t in data["tests"].items() if t["outcome"] == "failed")
    return {"categories": dict(cats), "faults": faults, "restore": restore, "failed": failed}


def _git(*args: str) -> str:
    try:
        return subprocess.check_output(["git", *args], cwd=ROOT, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def render(summary: dict, *, exitstatus: int) -> str:
    cats = summary["categories"]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability",
        "",
        "Generated by `.venv/bin/python bench/reliability_report.py` (do not edit by hand) "
        f"on {now}, commit `{_git('rev-parse', '--short', 'HEAD')}`, {platform.machine()}, "
        f"{os.cpu_count()} CPU(s), Python {platform.python_version()}, against the real "
        "PostgreSQL and Redis. Every figure below is counted from that run: each request the "
        "tests sent through Django and its status, each test's outcome. "
        f"pytest exit status: {exitstatus}.",
        "",
        "## Attacks: attempts and refusals",
        "",
        "An attempt is one HTTP request a test sent; refused = a 4xx or a redirect to the "
        "login page; answered = anything else below 500 (allowed roles, public pages, valid "
        "fuzz input). Each test asserts that what was refused had to be and what was "
        "answered was allowed. Skipped: role × URL cases another test covers (public "
        "pages, a user's own account, member-facing pages in the staff crash check).",
        "",
        "| category | tests passed | skipped | attempts | refused | answered | 5xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total = dict.fromkeys(
        ("tests", "passed", "skipped", "requests", "refused", "answered", "5xx"), 0
    )
    for name in ATTACKS:
        c = cats.get(name, dict.fromkeys(total, 0))
        for k in total:
            total[k] += c[k]
        lines.append(
            f"| {name} | {c['passed']:,} / {c['tests']:,} | {c['skipped']:,} | {c['requests']:,} | "
            f"{c['refused']:,} | {c['answered']:,} | {c['5xx']:,} |"
        )
    lines.append(
        f"| **all** | {total['passed']:,} / {total['tests']:,} | {total['skipped']:,} | "
        f"{total['requests']:,} | "
        f"{total['refused']:,} | {total['answered']:,} | {total['5xx']:,} |"
    )
    fuzz = cats.get("API fuzzing (schemathesis)", {"tests": 0, "requests": 0, "5xx": 0})
    lines += [
        "",
        "## 5xx from the API fuzz run",
        "",
        f"`tests/webapp/test_api_fuzz.py`: schemathesis over {fuzz['tests']:,} operations of "
        f"`/api/schema/` (`FUZZ_MAX_EXAMPLES`={os.environ.get('FUZZ_MAX_EXAMPLES', '3')} "
        f"generated cases each, plus explicit examples), {fuzz['requests']:,} requests: "
        f"**{fuzz['5xx']:,} answered 5xx**.",
        "",
        "## Faults injected and survived",
        "",
        "Survived = the test passed: nothing half-written (every table's rows as before the "
        "fault) and the retry succeeded, or the pages answered and the task was delivered, "
        "or the killed task ran again and was applied once. Details: `deploy/README.md`, "
        "Faults.",
        "",
        "| fault | test | survived |",
        "|---|---|:---:|",
    ]
    for fault, nodeid, ok in summary["faults"]:
        lines.append(f"| {fault} | `{nodeid.split('::')[-1]}` | {'yes' if ok else '**no**'} |")
    survived = sum(1 for f in summary["faults"] if f[2])
    lines += [
        "",
        f"Faults injected: {len(summary['faults'])}; survived: {survived}.",
        "",
        "## Backup and restore",
        "",
    ]
    main = [r for r in summary["restore"] if "restore_rows" in r[2]]
    if main:
        nodeid, ok, props = main[0]
        lines.append(
            f"A cooperative with members, savings, loans and posted payroll batches backed up "
            f"(`pg_dump --schema`) and restored under another address: "
            f"{props['restore_tables']} tables, {int(props['restore_rows']):,} rows, every "
            f"table's count equal to the original: **{'verified' if ok else 'FAILED'}**; "
            f"ledger balanced (debit = credit {props.get('restore_debit', '?')}) and "
            "sub-ledgers equal to their control accounts in the copy."
        )
    others = [r for r in summary["restore"] if "restore_rows" not in r[2]]
    passed = sum(1 for r in others if r[1])
    lines.append("")
    lines.append(
        f"Other backup/restore checks (taken address or schema refused, damaged file leaves "
        f"nothing, retention): {passed} / {len(others)} passed."
    )
    if summary["failed"]:
        lines += ["", "## Tests that failed in this run", ""]
        lines += [f"- `{n}`" for n in summary["failed"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", help="a run's JSON (skip running the tests)")
    parser.add_argument("--keep", help="also keep the run's JSON at this path")
    args = parser.parse_args()
    if args.source:
        data = json.loads(Path(args.source).read_text())
        code = data.get("exitstatus", 0)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run.json"
            code = run_tests(out)
            if not out.exists():
                print("the test run wrote no record", file=sys.stderr)
                return 2
            data = json.loads(out.read_text())
            if args.keep:
                Path(args.keep).write_text(out.read_text())
    DOC.write_text(render(summarise(data), exitstatus=data.get("exitstatus", code)))
    print(f"wrote {DOC}")
    return 0 if not summarise(data)["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
