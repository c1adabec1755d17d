"""Webhooks: subscriptions, the transactional outbox, the delivery worker and its attempt log.

Subscriptions live here (`models`, `schemas`, `service`, `endpoints`, `repository`, `secrets`,
`urls`, `wire`, `examples`, and `openapi`: the document's `webhooks` section); sending them events
lives in `delivery/`.
"""
