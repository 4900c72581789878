"""Execute notebooks top to bottom, as a learner would with "Run All"; exit 1 on any error."""

import sys
import time
from pathlib import Path

import nbclient
import nbformat

failed = []
for name in sys.argv[1:]:
    path = Path(name)
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        failed.append(path.name)
        print(f"FAILED {path.name}\n{error}", file=sys.stderr)
        continue
    print(f"ok {path.name} ({time.monotonic() - started:.1f} s)")
sys.exit(1 if failed else 0)
