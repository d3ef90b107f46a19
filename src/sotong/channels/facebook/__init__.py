"""Facebook Page: feed comments and Messenger in by webhook, replies through the Graph API."""
