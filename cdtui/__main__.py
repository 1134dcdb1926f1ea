from cdtui.cli import main

raise SystemExit(main())
