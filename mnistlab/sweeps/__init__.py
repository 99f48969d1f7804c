"""Sweeps: which choices matter. A sweep spec (plain data), its Optuna study under ``artifacts/sweeps/<id>/``,
a driver that runs each trial as jobs on the job runner (with pruning, stop and resume), and the results
(trial table, best trial, importance, Pareto fronts)."""
