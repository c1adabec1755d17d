"""Lockboxes, their offline access codes, and lockbox events."""
