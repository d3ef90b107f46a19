"""The public web and mobile complaint form (/report): photos, spam defence, rate limit."""
