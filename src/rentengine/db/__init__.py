"""Database plumbing: declarative base, engine and sessions, pagination, migrations."""
