"""Market comps (API.md §17): nearby Leased and Available units of this deployment, and the call quota."""
