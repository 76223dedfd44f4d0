"""The Whoosh index, the query language, search, similar records and the HTTP server."""
