"""The one change seam: every write records its row changes here, in the caller's transaction."""
