"""Each account's sync thread and its UI-side controller, and the OS's network reports."""
