from mailapp.cli import main

raise SystemExit(main())
