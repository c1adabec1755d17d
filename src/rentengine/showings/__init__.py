"""Showings (API.md §12): availability, booking with prescreening, and agent tokens."""
