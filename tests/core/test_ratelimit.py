"""The caller's address every limit counts by (yousu.core.ratelimit.client_ip): the proxy's header is read
only on a connection from a trusted proxy, and X-Forwarded-For from the side the proxies wrote, so a
client cannot choose its address and slip past a limit."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from yousu.core.ratelimit import client_ip

from ..web.test_citizen import submit, submitted

PROXY = "127.0.0.1"
CLIENT = "203.0.113.7"


@pytest.fixture(autouse=True)
def fresh_limits():
    # The limits count in the cache, which outlives a test; each test starts with none used.
    cache.clear()
    yield
    cache.clear()


def address(remote: str, **headers) -> str:
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_the_header_counts_only_on_a_connection_from_a_trusted_proxy(settings):
    settings.YOUSU_CITIZEN_IP_HEADER = "HTTP_X_REAL_IP"
    settings.YOUSU_TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]
    # A client that reaches gunicorn directly: its own header changes nothing.
    assert address(CLIENT, HTTP_X_REAL_IP="198.51.100.1") == CLIENT
    assert address("11.0.0.1", HTTP_X_REAL_IP="198.51.100.1") == "11.0.0.1"
    # The platform's own proxies, by address or network, and IPv4 as a dual-stack listener shows it.
    assert address(PROXY, HTTP_X_REAL_IP="198.51.100.1") == "198.51.100.1"
    assert address("10.20.30.40", HTTP_X_REAL_IP="198.51.100.1") == "198.51.100.1"
    assert address("::ffff:127.0.0.1", HTTP_X_REAL_IP="198.51.100.1") == "198.51.100.1"
    assert address("::1", HTTP_X_REAL_IP="2001:db8::5") == "2001:db8::5"
    # A proxy that passed no header, or one that is not an address: the connection's.
    assert address(PROXY) == PROXY
    assert address(PROXY, HTTP_X_REAL_IP="unknown") == PROXY
    # No header configured: the connection's address, whoever connects.
    settings.YOUSU_CITIZEN_IP_HEADER = ""
    assert address(PROXY, HTTP_X_REAL_IP="198.51.100.1") == PROXY


def test_forwarded_for_is_read_from_the_proxies_side(settings):
    settings.YOUSU_CITIZEN_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.YOUSU_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # nginx appends the address it saw to whatever the client sent: the client's own entries are on the
    # left and are not believed.
    assert address(PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1") == "198.51.100.1"
    # Two proxies of the platform in a row: the first address neither of them is.
    assert address(PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1, 10.0.0.5") == "198.51.100.1"
    assert address(PROXY, HTTP_X_FORWARDED_FOR="junk, 198.51.100.1") == "198.51.100.1"
    # Only proxies in the chain: the farthest of them.
    assert address(PROXY, HTTP_X_FORWARDED_FOR="10.0.0.9, 10.0.0.5") == "10.0.0.9"
    # The same header from a client that is not a proxy is ignored altogether.
    assert address(CLIENT, HTTP_X_FORWARDED_FOR="6.6.6.6") == CLIENT


def test_a_client_cannot_rotate_the_header_past_the_portals_limit(world, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_IP_HOUR = 1
    settings.YOUSU_CITIZEN_IP_HEADER = "HTTP_X_REAL_IP"
    settings.YOUSU_TRUSTED_PROXIES = [PROXY]
    direct = Client(REMOTE_ADDR=CLIENT)
    submitted(world, direct, citizen_phone="13700000001", HTTP_X_REAL_IP="1.1.1.1")
    refused = submit(direct, citizen_phone="13700000002", HTTP_X_REAL_IP="2.2.2.2")
    assert refused.status_code == 429
    # Through the platform's proxy each citizen is counted by the address the proxy passes.
    proxied = Client(REMOTE_ADDR=PROXY)
    submitted(world, proxied, citizen_phone="13700000003", HTTP_X_REAL_IP="3.3.3.3")
    submitted(world, proxied, citizen_phone="13700000004", HTTP_X_REAL_IP="4.4.4.4")
    assert submit(proxied, citizen_phone="13700000005", HTTP_X_REAL_IP="4.4.4.4").status_code == 429


def test_a_client_cannot_rotate_the_header_past_open311s_limit(world, settings):
    settings.YOUSU_OPEN311_REQUESTS_PER_IP_MINUTE = 1
    settings.YOUSU_CITIZEN_IP_HEADER = "HTTP_X_REAL_IP"
    settings.YOUSU_TRUSTED_PROXIES = [PROXY]
    direct = Client(REMOTE_ADDR=CLIENT)
    assert direct.get("/open311/v2/services.json", HTTP_X_REAL_IP="1.1.1.1").status_code == 200
    assert direct.get("/open311/v2/services.json", HTTP_X_REAL_IP="2.2.2.2").status_code == 429
    proxied = Client(REMOTE_ADDR=PROXY)
    assert proxied.get("/open311/v2/services.json", HTTP_X_REAL_IP="3.3.3.3").status_code == 200
    assert proxied.get("/open311/v2/services.json", HTTP_X_REAL_IP="4.4.4.4").status_code == 200
    assert proxied.get("/open311/v2/services.json", HTTP_X_REAL_IP="4.4.4.4").status_code == 429
