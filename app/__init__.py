"""The composition root: settings, the Starlette app and its ASGI layers, the CLI and the seed."""
