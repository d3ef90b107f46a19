"""Public portal pages (/, /cases/<number>); the complaint form /report lives in channels/webform."""
