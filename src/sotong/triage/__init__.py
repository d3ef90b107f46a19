"""Triage: relevance, complaint type, category and department, duplicates, personal data."""
