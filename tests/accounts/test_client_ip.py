"""accounts.http.client_ip: whose address a post records, with and without a proxy."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.http import client_ip

CLIENT = "198.51.100.7"
PROXY = "10.0.0.2"
SPOOFED = "203.0.113.66"


def request(remote_addr: str = PROXY, forwarded: str | None = None):
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


def test_without_a_proxy_the_peer_is_the_client_whatever_the_header_says(settings):
    settings.BEHIND_PROXY = False
    assert client_ip(request(CLIENT)) == CLIENT
    assert client_ip(request(CLIENT, forwarded=SPOOFED)) == CLIENT


def test_behind_a_proxy_the_entry_it_appended_is_the_client(settings):
    settings.BEHIND_PROXY, settings.PROXY_HOPS = True, 1
    assert client_ip(request(forwarded=CLIENT)) == CLIENT
    # Whatever the client wrote itself comes first; the proxy appends the real peer.
    assert client_ip(request(forwarded=f"{SPOOFED}, {CLIENT}")) == CLIENT
    assert client_ip(request(forwarded=f"{SPOOFED},{SPOOFED}, {CLIENT}")) == CLIENT


def test_with_two_proxies_the_client_is_second_from_the_right(settings):
    settings.BEHIND_PROXY, settings.PROXY_HOPS = True, 2
    cdn = "192.0.2.10"
    assert client_ip(request(forwarded=f"{SPOOFED}, {CLIENT}, {cdn}")) == CLIENT
    assert client_ip(request(forwarded=f"{CLIENT}, {cdn}")) == CLIENT


def test_a_request_that_skipped_the_proxies_gives_its_peer(settings):
    settings.BEHIND_PROXY, settings.PROXY_HOPS = True, 2
    assert client_ip(request(PROXY, forwarded=SPOOFED)) == PROXY
    assert client_ip(request(PROXY)) == PROXY
    assert client_ip(request(PROXY, forwarded=" , ")) == PROXY


@pytest.mark.parametrize(
    "hop", ["not-an-ip", "1.2.3.4:5678", "<script>", "999.1.1.1", "x" * 5000]
)
def test_an_address_that_is_no_address_is_not_recorded(settings, hop):
    settings.BEHIND_PROXY, settings.PROXY_HOPS = True, 1
    assert client_ip(request(forwarded=f"{CLIENT}, {hop}")) is None
    settings.BEHIND_PROXY = False
    assert client_ip(request(hop)) is None
    assert client_ip(request("")) is None


def test_addresses_come_back_in_one_spelling(settings):
    settings.BEHIND_PROXY = False
    assert client_ip(request("2001:DB8:0:0::1")) == "2001:db8::1"
    assert client_ip(request("fe80::1%eth0")) == "fe80::1"


@pytest.mark.django_db
@pytest.mark.parametrize(("behind_proxy", "stored"), [(False, PROXY), (True, CLIENT)])
def test_a_reply_records_the_address_the_settings_trust(
    client, settings, thread, other_member, behind_proxy, stored
):
    settings.BEHIND_PROXY, settings.PROXY_HOPS = behind_proxy, 1
    client.force_login(other_member)
    response = client.post(
        reverse("forum:reply", args=[thread.pk]),
        {"body": "From somewhere"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {CLIENT}",
    )
    assert response.status_code == 302
    assert thread.posts.get(body="From somewhere").ip_address == stored


@pytest.mark.django_db
def test_a_hostile_header_still_posts_the_reply(client, settings, thread, other_member):
    settings.BEHIND_PROXY, settings.PROXY_HOPS = True, 1
    client.force_login(other_member)
    response = client.post(
        reverse("forum:reply", args=[thread.pk]),
        {"body": "Still here"},
        HTTP_X_FORWARDED_FOR="'; DROP TABLE forum_post; --",
    )
    assert response.status_code == 302
    assert thread.posts.get(body="Still here").ip_address is None
