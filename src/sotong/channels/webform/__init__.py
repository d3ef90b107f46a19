"""The public web and mobile complaint form as a channel: photos, spam defence, rate limit (the page is
portal/report.py)."""
