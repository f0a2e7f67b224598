"""The main window and what it is built from: menus, panes, navigation, status bar, tray."""
