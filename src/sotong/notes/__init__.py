"""Internal notes on a case: staff only, never public; `@username` mentions notify colleagues."""
