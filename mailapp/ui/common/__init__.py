"""What every part of the window uses: the colour scheme, icons, menus found by title, store
notices delivered on the UI thread, logging."""
