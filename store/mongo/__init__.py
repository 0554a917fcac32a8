"""The MongoDB adapter (PyMongo's async API): the production backend."""
