"""Accounts, users, memberships, API keys, the Bearer dependency and the rate limit."""
