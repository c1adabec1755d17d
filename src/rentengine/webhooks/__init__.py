"""Webhooks: subscriptions, the transactional outbox, the delivery worker and its attempt log."""
