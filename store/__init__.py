"""Persistence ports and their two adapters (SQLite, MongoDB). Nothing above this package knows which runs."""
