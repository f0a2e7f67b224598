"""The mailbox tree, the message list, search, and the actions on listed messages."""
