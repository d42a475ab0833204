"""The command line (``planner``): a thin Typer app over the workflows; user errors become a
message and an exit code (2 inputs, 1 invalid plan, 3 internal error), never a traceback.

Owns: ``app`` (the commands), ``console`` (progress bars, tables). Nothing imports it.
"""

from planner.cli.app import app, main

__all__ = ["app", "main"]
