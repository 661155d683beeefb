from choeur.cli import main

raise SystemExit(main())
