"""The machine-facing HTTP surfaces: the JSON API for cases (/api/v1), platform webhooks (/hooks), Open311."""
