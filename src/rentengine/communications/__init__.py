"""Calls and messages (API.md §14): activity that happened elsewhere, recorded and linked to prospects."""
