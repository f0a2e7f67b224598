"""The composer window: writing, saving and sending a message, and the drafts offered back
after a crash."""
