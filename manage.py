#!/usr/bin/env python
"""Django's command-line utility. The project package `lumbung` comes from the
project's own install (`pip install -e .`), see pyproject.toml."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lumbung.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
