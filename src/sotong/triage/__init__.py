"""Triage: relevance, complaint type, category and department, duplicates and follow-ups, routing rules,
operators' reviews; the models and the seed corpus."""
