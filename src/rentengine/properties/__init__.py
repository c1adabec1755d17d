"""Multifamily properties: large buildings syndicated to paid rental feeds."""
