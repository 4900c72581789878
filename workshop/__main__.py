"""`python -m workshop`: the learner's command line (workshop/cli.py)."""

from workshop.cli import main

raise SystemExit(main())
