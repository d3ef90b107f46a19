"""Channel connectors: one folder per platform with the small interface of channels.base."""
