"""Target URL rules (API.md §19.4): syntax, and where the host points, with literal IPs and `localhost`
(no external DNS is reachable from the tests; a name that does not resolve must be refused)."""

import pytest

from rentengine.webhooks.urls import MAX_URL_LENGTH, refused_target, target_errors, validate_target_url


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/rentengine/events",
        "http://hooks.example.com:8080/path?x=1#frag",
        "HTTPS://Hooks.Example.com/",
        "http://127.0.0.1:9/hooks",
        "http://[2606:4700:4700::1111]/hooks",
        "https://hooks.example.com/" + "a" * (MAX_URL_LENGTH - len("https://hooks.example.com/")),
    ],
)
def test_well_formed_urls_pass_the_syntax_check(url: str) -> None:
    assert validate_target_url(url) == []


@pytest.mark.parametrize(
    ("url", "keyword", "message"),
    [
        ("ftp://hooks.example.com/x", "scheme", "must be an http or https URL"),
        ("javascript:alert(1)", "scheme", "must be an http or https URL"),
        ("hooks.example.com/x", "scheme", "must be an http or https URL"),
        ("", "scheme", "must be an http or https URL"),
        ("http://", "format", "must have a host"),
        ("https:///path-only", "format", "must have a host"),
        ("https://user:password@hooks.example.com/", "credentials", "must NOT contain a user name"),
        ("https://user@hooks.example.com/", "credentials", "must NOT contain a user name"),
        ("https://:password@hooks.example.com/", "credentials", "must NOT contain a user name"),
        ("https://hooks.example.com:99999/", "format", 'must match format "uri"'),
        ("https://hooks.example.com:port/", "format", 'must match format "uri"'),
        ("https://hooks.example .com/", "format", 'must match format "uri"'),
        ("https://hooks.example.com/\nX-Injected: 1", "format", 'must match format "uri"'),
        ("http://[::1/", "format", 'must match format "uri"'),
        ("https://x.example.com/" + "a" * MAX_URL_LENGTH, "maxLength", "must NOT have more than 2048"),
    ],
)
def test_malformed_urls_are_refused_with_one_ajv_item(url: str, keyword: str, message: str) -> None:
    [item] = validate_target_url(url)
    assert (item["keyword"], item["instancePath"]) == (keyword, "/url")
    assert item["message"].startswith(message), item
    assert set(item) == {"keyword", "instancePath", "dataPath", "schemaPath", "params", "message"}


def test_the_path_of_the_item_can_be_chosen() -> None:
    [item] = validate_target_url("ftp://x", path="/subscriptions/2/url")
    assert item["instancePath"] == "/subscriptions/2/url"
    assert item["params"] == {"allowedValues": ["http", "https"]}


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.8.9.10:8080/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://192.168.1.20/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://100.64.0.1/", "non-global"),
        ("http://192.0.2.10/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://255.255.255.255/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://[::]/", "unspecified"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://[ff02::1]/", "multicast"),
        ("http://[2001:db8::1]/", "private"),
        # IPv6 forms that route to an IPv4 address are judged by that address.
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[64:ff9b::a00:1]/", "private"),
        ("http://[2002:7f00:1::1]/", "loopback"),
        # Numeric spellings that resolvers read as 127.0.0.1.
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://localhost:8000/hooks", "loopback"),
        ("http://LOCALHOST/", "loopback"),
    ],
)
async def test_non_public_addresses_are_refused(url: str, kind: str) -> None:
    reason = await refused_target(url, allow_private=False)
    assert reason is not None
    assert f"{kind} address" in reason


@pytest.mark.parametrize(
    "url",
    [
        "https://8.8.8.8/hooks",
        "https://[2606:4700:4700::1111]:8443/hooks",
        "http://[::ffff:8.8.8.8]/",
        "http://[64:ff9b::808:808]/",
        "http://[2002:808:808::1]/",
    ],
)
async def test_public_addresses_pass(url: str) -> None:
    assert await refused_target(url, allow_private=False) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost:8000/hooks",
        "http://10.0.0.5/",
        "http://[::1]:8080/",
        "http://169.254.1.1/",
    ],
)
async def test_private_targets_pass_when_allowed(url: str) -> None:
    assert await refused_target(url, allow_private=True) is None


@pytest.mark.parametrize(
    ("url", "kind"), [("http://224.0.0.1/", "multicast"), ("http://0.0.0.0/", "unspecified")]
)
async def test_addresses_nothing_listens_on_stay_refused_when_private_targets_are_allowed(
    url: str, kind: str
) -> None:
    reason = await refused_target(url, allow_private=True)
    assert reason is not None
    assert f"{kind} address" in reason


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "https://no-such-host.invalid/hooks",
        "http://" + "a" * 64 + ".example.com/",  # a DNS label longer than 63 bytes
        "http://bad..dots.example/",
    ],
)
async def test_a_host_that_does_not_resolve_is_refused(url: str, allow_private: bool) -> None:
    reason = await refused_target(url, allow_private)
    assert reason is not None
    assert "does not resolve" in reason


async def test_a_url_without_a_host_is_refused_rather_than_resolved() -> None:
    assert await refused_target("http:///x", allow_private=True) == "the URL has no host"
    assert await refused_target("not a url", allow_private=True) == "the URL has no host"


async def test_target_errors_check_the_syntax_first_then_the_target() -> None:
    [syntax] = await target_errors("ftp://127.0.0.1/", allow_private=False)
    assert syntax["keyword"] == "scheme"
    [target] = await target_errors("http://127.0.0.1/", allow_private=False)
    assert target["keyword"] == "publicTarget"
    assert target["instancePath"] == "/url"
    assert target["message"] == "the target is not allowed"
    assert target["params"] == {}
    assert await target_errors("http://127.0.0.1/", allow_private=True) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/hooks",
        "http://10.0.0.5/",
        "http://[::1]:8080/",
        "https://no-such-host.invalid/hooks",
        "http://224.0.0.1/",
    ],
)
async def test_a_refusal_says_only_that_the_target_is_not_allowed(url: str) -> None:
    # Which address a name resolves to, or whether it resolves at all, is not the caller's to learn.
    [refused] = await target_errors(url, allow_private=False)
    assert refused == {
        "keyword": "publicTarget",
        "instancePath": "/url",
        "dataPath": "/url",
        "schemaPath": "#/publicTarget",
        "params": {},
        "message": "the target is not allowed",
    }
