"""Leasing events (API.md §11): what happened to a prospect, one event at a time."""
