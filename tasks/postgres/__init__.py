"""The Postgres side: SQL jobs on the Heroku Connect database (scripts), replication of its orgm tables
into the warehouse (replication), and the reverse-ETL queue (write_back)."""
