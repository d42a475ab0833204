"""The user's input files: tables (CSV with its encodings, GIS formats), header aliases, the
validated dataset of retailers, managers, districts and locks, coordinate systems (GCJ-02, BD-09,
WGS84, the local metric projection) and opening hours.

Owns: ``tables`` (raw text tables and column mapping), ``dataset`` (the validated inputs),
``coords``, ``hours``, and ``synthetic`` (generated regions in the same formats, and next
quarter's changes to them, for demos, tests and benchmarks). Imports ``planner.config`` and ``planner.errors``; never the engine, the
design, the plan or the validator (the independent validator reads inputs through this package).
"""
