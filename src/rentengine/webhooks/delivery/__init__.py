"""Delivery: the outbox a write fills, the worker that sends it, and the test send.

`outbox` enqueues in the writer's transaction; `service` claims, records outcomes, cancels and
redelivers; `worker` runs the sends through `sender` (HTTP/1.1 in `http11`, headers from
`signing`, delays from `retry`); `testsend` is the one synchronous send, for the API and the portal.
"""
