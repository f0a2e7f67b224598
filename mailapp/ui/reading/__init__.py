"""Reading one message: the reading pane, its attachments and links, its source and export."""
