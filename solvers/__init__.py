"""The optimisation engine: pure solvers on numbers.

Frozen problem dataclasses in, frozen result dataclasses out. No file I/O, no scenario
knowledge, no printing. Every solver takes a ``seed`` and a :class:`~solvers.common.Stop`
rule and is deterministic for a given seed and iteration limit. This package never imports
``planner``.
"""
