"""Hyper-parameter sweeps on Optuna: the ``[sweep]`` table (:mod:`.space`), the study's
storage (:mod:`.storage`), the trainer callback that reports to a trial (:mod:`.trial`),
worker processes (:mod:`.workers`) and the outputs of a finished study (:mod:`.report`).

Optuna is imported only when a sweep runs (the ``sweep`` extra), so importing lstmkit and
reading an experiment file never need it. Running a trial needs the task registry, a
higher layer: :mod:`lstmkit.experiment_sweep` ties these parts to experiments.
"""

from .space import ParamRange, SweepSettings, parse_sweep

__all__ = ["ParamRange", "SweepSettings", "parse_sweep"]
