"""What the web pages share: templates and static files, sessions, request dependencies, error pages, CSRF,
security headers, query-string parsing, upload limits, the district map."""
