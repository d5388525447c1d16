from localcloud.simulator.cli import main

raise SystemExit(main())
