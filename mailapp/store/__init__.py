"""The local SQLite cache and the repository API that the UI and the sync engine share."""
