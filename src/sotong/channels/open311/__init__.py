"""Open311 GeoReport v2 as a channel: the open standard API for civic issues (served at /open311/v2/ by api/open311.py).

Reads (services, requests) are public and show exactly what the transparency portal shows; creating a request
needs an API key issued to an application (`sotong open311 key create`).
"""
