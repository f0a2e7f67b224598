"""Entry point of the frozen desktop app: the same `main` as the `mailapp` command."""

from mailapp.cli import main

raise SystemExit(main())
