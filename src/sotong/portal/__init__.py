"""Public portal pages (/, /cases/<number>, /report)."""
