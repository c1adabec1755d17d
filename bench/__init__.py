"""Webhook fault run and delivery benchmark: real processes, a real receiver, both databases."""
