"""The planner application: scenarios, data, travel times, plans, validation, reports, CLI."""

__version__ = "0.1.0"
