"""The client address behind our own reverse proxies (TRUSTED_PROXY_COUNT)."""

import pytest
from django.test import RequestFactory

from core.common.http import client_address, client_ip


def _req(remote="10.0.0.2", xff=None):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    "hops,xff,expected",
    [
        (0, "6.6.6.6", "10.0.0.2"),  # no proxy trusted: the header is the client's word
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the left part was forged
        (2, "6.6.6.6, 198.51.100.7, 10.1.1.1", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.2"),  # fewer hops than proxies: a bypass
        (1, "not-an-ip", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_counts_trusted_hops_from_the_right(settings, hops, xff, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    assert client_address(_req(xff=xff)) == expected


def test_without_any_address_rate_limits_get_a_key_and_axes_gets_none(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = _req(remote="")
    assert client_address(request) is None
    assert client_ip(request) == "unknown"


def test_axes_uses_the_same_client_address(settings):
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXY_COUNT = 1
    assert get_client_ip_address(_req(xff="6.6.6.6, 198.51.100.7")) == "198.51.100.7"
