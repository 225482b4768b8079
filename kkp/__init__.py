"""The foundation: configuration, database, extensions, editors, tokens, mail, forms,
the API base and background work. It imports no domain (docs/architecture.md); the app
is assembled on top, in :mod:`service.app`."""
