"""The Makefile accepts Python 3.11, 3.12 and 3.13: it takes the first suitable interpreter
of PYTHON_CANDIDATES (or the one named by PYTHON), says which, and when none fits says why
for each and what to do."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")


# What would reach this make from the one running the suite: `make test PYTHON=...` (as the
# README offers for `make demo`) passes PYTHON down through MAKEFLAGS, and an exported
# PYTHON would fill the Makefile's `PYTHON ?=`; either would override the candidates here.
_MAKE_ENV_DROPPED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON", "VENV"}


def _which_python(**variables: str) -> subprocess.CompletedProcess:
    args = [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "which-python", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k not in _MAKE_ENV_DROPPED},
    )


def _fake_python(tmp_path: Path, version: str) -> Path:
    """An interpreter that answers the Makefile's probe as Python `version` would."""
    major, minor, _ = (int(x) for x in version.split("."))
    fits = (3, 11) <= (major, minor) <= (3, 13)
    path = tmp_path / f"python{major}.{minor}"
    path.write_text(f"#!/bin/sh\necho {version}\nexit {0 if fits else 1}\n")
    path.chmod(0o755)
    return path


def test_takes_the_first_suitable_interpreter_and_says_which(tmp_path):
    old = _fake_python(tmp_path, "3.10.14")
    result = _which_python(PYTHON_CANDIDATES=f"no-such-python {old} {sys.executable}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(f"[make] Using {sys.executable} (Python 3.1")
    assert "[make] no-such-python: not found" in result.stderr
    assert f"[make] {old} is Python 3.10.14: Lumbung needs 3.11, 3.12 or 3.13" in result.stderr


@pytest.mark.parametrize("version", ["3.11.9", "3.12.7", "3.13.1"])
def test_every_supported_version_is_accepted(tmp_path, version):
    fake = _fake_python(tmp_path, version)
    result = _which_python(PYTHON_CANDIDATES=str(fake))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"[make] Using {fake}")


def test_says_why_none_fits_and_what_to_do(tmp_path):
    old, new = _fake_python(tmp_path, "3.10.14"), _fake_python(tmp_path, "3.14.0")
    result = _which_python(PYTHON_CANDIDATES=f"{old} {new}")
    assert result.returncode != 0
    assert f"{new} is Python 3.14.0: Lumbung needs 3.11, 3.12 or 3.13" in result.stderr
    assert "No Python 3.11-3.13 among" in result.stderr
    assert "make demo PYTHON=/path/to/python3.12" in result.stderr


def test_a_python_named_by_hand_is_checked_too(tmp_path):
    old = _fake_python(tmp_path, "3.9.18")
    result = _which_python(PYTHON=str(old))
    assert result.returncode != 0
    assert f"{old} is Python 3.9.18" in result.stderr
