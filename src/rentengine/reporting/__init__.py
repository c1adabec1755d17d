"""Reports computed from this server's own leasing data (API.md §15)."""
