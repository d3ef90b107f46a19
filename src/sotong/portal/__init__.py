"""Public portal pages: the list and the case pages (/, /cases/<number>), the report form (/report), statistics,
the map, feeds and open data."""
