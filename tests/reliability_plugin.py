"""pytest plugin for ``bench/reliability_report.py``: records every HTTP request the tests
send through Django (test client, schemathesis' WSGI calls: both reach
``BaseHandler.get_response``) with the test that sent it and the answer's status, every
test's outcome and its ``record_property`` values, into the JSON file named by
``$RELIABILITY_OUT``. Loaded with ``-p tests.reliability_plugin``; inert otherwise."""

from __future__ import annotations

import json
import os

import pytest

_current: dict = {"nodeid": None}
_requests: list[tuple[str, int, str]] = []
_tests: dict[str, dict] = {}


def _install() -> None:
    from django.core.handlers.base import BaseHandler

    original = BaseHandler.get_response
    if getattr(original, "_reliability", False):
        return

    def get_response(self, request):
        response = original(self, request)
        location = response.get("Location", "") if hasattr(response, "get") else ""
        _requests.append((_current["nodeid"] or "-", response.status_code, location))
        return response

    get_response._reliability = True
    BaseHandler.get_response = get_response


def pytest_configure(config):
    if os.environ.get("RELIABILITY_OUT"):
        _install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current["nodeid"] = item.nodeid
    yield
    _current["nodeid"] = None


def pytest_runtest_logreport(report):
    entry = _tests.setdefault(report.nodeid, {"outcome": "passed", "properties": {}})
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and report.when in ("setup", "call"):
        entry["outcome"] = "skipped"
    for key, value in report.user_properties:
        entry["properties"][key] = value


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("RELIABILITY_OUT")
    if not out:
        return
    with open(out, "w") as f:
        json.dump({"requests": _requests, "tests": _tests, "exitstatus": int(exitstatus)}, f)
