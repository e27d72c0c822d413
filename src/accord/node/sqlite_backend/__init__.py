"""Django's SQLite backend, with the node's write-ahead log kept between requests (see
:mod:`accord.node.sqlite_backend.base`)."""
