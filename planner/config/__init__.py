"""The scenario: its schema (pydantic), loading from YAML with every problem reported at once
(file, YAML line, field, a suggestion for unknown keys), and clock-time parsing.

Owns: ``planner.config.scenario`` (the schema and loading) and ``planner.config.calendar`` (clock
times, shift, breaks, weekly duties). Imports only ``planner.errors``; never the engine.
"""
