"""Small, dependency-free helpers shared by every domain package (no domain imports here)."""
