"""What waits for the server: the Outbox view and the conflicts it could not merge."""
