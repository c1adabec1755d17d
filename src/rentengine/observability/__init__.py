"""What a node tells about itself: request ids, structured logs and Prometheus metrics.

`requestid` is imported on the write path (audit entries, webhook deliveries) and stays free of
heavy imports; `metrics` imports prometheus_client, which only the server needs.
"""
