"""The public marketing listings feed (API.md §16): an account's Available units, for its website."""
