"""The client's address behind reverse proxies, and the portal's per-address sign-in limit with it."""

import ipaddress

import pytest

from rentengine.kit.forwarded import client_address, trusted_networks
from tests.portal.login_client import PASSWORD, client_at, login_app, make_user, post_login

TRUSTED = trusted_networks(("10.0.0.0/24", "192.168.1.7", "fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        # A peer that is not a trusted proxy is the client, whatever it claims.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        ("203.0.113.9", ["10.0.0.5, 198.51.100.1"], "203.0.113.9"),
        # A trusted proxy: the nearest forwarded address that is not itself a trusted proxy.
        ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.5", ["198.51.100.1, 10.0.0.9, 192.168.1.7"], "198.51.100.1"),
        # Entries left of the first untrusted one were written by the client: not believed.
        ("10.0.0.5", ["1.1.1.1, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.5", ["1.1.1.1", "198.51.100.1"], "198.51.100.1"),  # several headers, in order
        ("10.0.0.5", ["198.51.100.1:5123"], "198.51.100.1"),
        ("fd00::1", ["2001:db8::7"], "2001:db8::7"),
        ("::ffff:10.0.0.5", ["[2001:db8::7]:443"], "2001:db8::7"),
        # No header, only trusted hops, or an unreadable hop: the last trusted address.
        ("10.0.0.5", [], "10.0.0.5"),
        ("10.0.0.5", ["10.0.0.8, 10.0.0.9"], "10.0.0.8"),
        ("10.0.0.5", ["198.51.100.1, junk"], "10.0.0.5"),
        ("10.0.0.5", ["198.51.100.1, 10.0.0.9, junk"], "10.0.0.5"),
        (None, ["198.51.100.1"], "-"),
    ],
)
def test_client_address(peer: str | None, forwarded_for: list[str], expected: str) -> None:
    assert client_address(peer, forwarded_for, TRUSTED) == expected


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("127.0.0.1", ["198.51.100.1"], trusted_networks(())) == "127.0.0.1"
    assert trusted_networks(("10.0.0.0/8",)) == (ipaddress.ip_network("10.0.0.0/8"),)


PROXY = "10.0.0.5"


async def test_an_untrusted_peer_cannot_dodge_the_address_limit_with_forwarded_headers(
    database_url: str,
) -> None:
    async with login_app(database_url, trusted_proxies=[f"{PROXY}/32"]) as (app, runtime):
        statuses = []
        for n in range(6):
            email = await make_user(runtime)  # a new email each time: only the address is shared
            async with client_at(app, "203.0.113.9", forwarded_for=f"{PROXY}, 198.51.100.{n}") as client:
                statuses.append((await post_login(client, email, "guess")).status_code)
        assert statuses == [401] * 5 + [429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(database_url: str) -> None:
    async with login_app(database_url, trusted_proxies=[f"{PROXY}/32"]) as (app, runtime):
        guesser, bystander = await make_user(runtime), await make_user(runtime)
        async with client_at(app, PROXY, forwarded_for="198.51.100.1") as client:
            for _ in range(5):
                assert (await post_login(client, guesser, "guess")).status_code == 401
            other_email = await make_user(runtime)
            assert (await post_login(client, other_email, "guess")).status_code == 429
        # Another client behind the same proxy is not throttled by the first one's failures.
        async with client_at(app, PROXY, forwarded_for="198.51.100.2") as client:
            response = await post_login(client, bystander, PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/keys"
