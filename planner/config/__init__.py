"""The scenario: its schema (pydantic), loading from YAML with every problem reported at once
(file, YAML line, field, a suggestion for unknown keys), and clock-time parsing.

Owns: ``planner.config.scenario`` (the schema and loading), ``planner.config.calendar`` (clock
times, shift, breaks, weekly duties) and ``planner.config.assessment`` (the ``assessment:`` weights of
``planner assess`` and ``territories.service_vacuum``). Imports only ``planner.errors``; never the engine.
"""
