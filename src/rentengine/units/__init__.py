"""Units: rental homes, their addresses and marketing attributes."""
