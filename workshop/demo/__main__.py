"""`python -m workshop.demo`: the demo without the CLI (the browser test starts it this way)."""

import argparse
from pathlib import Path

from workshop.demo import HOME, run

parser = argparse.ArgumentParser(prog="python -m workshop.demo", description=__doc__)
parser.add_argument("--mine", action="store_true", help="run your code, not the reference")
parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
parser.add_argument("--home", type=Path, default=HOME, help="where the demo keeps its database")
arguments = parser.parse_args()
raise SystemExit(
    run(target="mine" if arguments.mine else "solutions", port=arguments.port, home=arguments.home)
)
