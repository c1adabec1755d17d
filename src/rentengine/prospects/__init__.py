"""Prospects (API.md §10): one person interested in one unit."""
