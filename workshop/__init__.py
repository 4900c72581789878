"""The course kit: the lesson registry, the `python -m workshop` CLI and the pytest glue."""
