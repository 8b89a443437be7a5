from pm_agent.cli import main

raise SystemExit(main())
