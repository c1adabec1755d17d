"""Standard Webhooks signatures (API.md §19.3) and the headers of one delivery attempt."""

import base64
import re
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from rentengine.webhooks.delivery.signing import delivery_headers, new_signing_secret, sign

# The Standard Webhooks reference test vector, as quoted in API.md §19.3.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
EVENT_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = '{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_reference_vector() -> None:
    assert sign(SECRET, EVENT_ID, TIMESTAMP, BODY) == SIGNATURE


def test_a_changed_byte_id_or_timestamp_changes_the_signature() -> None:
    assert sign(SECRET, EVENT_ID, TIMESTAMP, BODY.replace("4", "5")) != SIGNATURE
    assert sign(SECRET, EVENT_ID + "x", TIMESTAMP, BODY) != SIGNATURE
    assert sign(SECRET, EVENT_ID, TIMESTAMP + 1, BODY) != SIGNATURE


def test_new_secrets_are_32_random_bytes_in_the_whsec_format() -> None:
    secrets = {new_signing_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


def test_headers_verify_with_the_standard_webhooks_library() -> None:
    secret = new_signing_secret()
    now = int(time.time())
    headers = delivery_headers(secret, EVENT_ID, now, BODY, api_key="receiver-key")
    assert headers == {
        "Content-Type": "application/json",
        "webhook-id": EVENT_ID,
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret, EVENT_ID, now, BODY),
        "X-API-Key": "receiver-key",
    }
    assert Webhook(secret).verify(BODY, headers) == {"test": 2432232314}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_signing_secret()).verify(BODY, headers)


def test_the_api_key_is_sent_only_when_set_and_test_sends_are_marked() -> None:
    plain = delivery_headers(SECRET, EVENT_ID, TIMESTAMP, BODY, api_key=None)
    assert "X-API-Key" not in plain
    assert "webhook-test" not in plain
    marked = delivery_headers(SECRET, EVENT_ID, TIMESTAMP, BODY, api_key=None, test=True)
    assert marked == {**plain, "webhook-test": "true"}
