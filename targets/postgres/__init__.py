"""The Heroku Connect Postgres: its client and its SQL statement splitter."""
