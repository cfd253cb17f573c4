"""The project package must not shadow the standard library's `platform` module."""

import subprocess
import sys


def test_stdlib_platform_and_uuid_work_with_project_installed():
    code = (
        "import uuid, platform, lumbung, django;"
        "assert platform.system();"
        "assert uuid.uuid4();"
        "assert 'site-packages' not in lumbung.__file__;"
        "assert lumbung.__file__.replace('\\\\','/').endswith('platform/lumbung/__init__.py');"
        "print(platform.system())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_running_from_repository_root_does_not_shadow_platform():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    assert (root / "platform").is_dir()
    assert not (root / "platform" / "__init__.py").exists()
    out = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.system())"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert out.returncode == 0, out.stderr
