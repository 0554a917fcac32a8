"""The SQLite adapter: the zero-setup default, every port on one file."""
