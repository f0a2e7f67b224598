"""The sync server: FastAPI over SQLAlchemy. Never imports the client."""
