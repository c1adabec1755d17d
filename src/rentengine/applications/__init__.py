"""Rental application groups (API.md §13): read-only, created by the platform."""
