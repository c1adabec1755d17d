"""The audit log: one entry per changed row, written in the same transaction as the change."""
