"""Webhooks: subscriptions, the transactional outbox, the delivery worker and its attempt log.

Subscriptions live here (`models`, `schemas`, `service`, `endpoints`, `repository`, `secrets`,
`urls`, `wire`, `examples`); sending them events lives in `delivery/`. The modules `outbox`,
`signing`, `worker` and `metrics` here only re-export `delivery`'s, for their former importers.
"""
