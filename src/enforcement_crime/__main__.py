from enforcement_crime.cli import main

raise SystemExit(main())
