"""Korean full-text search of public cases: morphemes stored on the write path, matched by the database."""
