"""Alembic migrations (shipped inside the package so `sotong db upgrade` works from an install)."""
