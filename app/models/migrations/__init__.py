"""Alembic migrations of the local cache (run by app.models.database)."""
