"""Former path of `rentengine.webhooks.delivery.signing`, kept for the importers outside the package."""

from rentengine.webhooks.delivery.signing import delivery_headers, new_signing_secret, sign

__all__ = ["delivery_headers", "new_signing_secret", "sign"]
