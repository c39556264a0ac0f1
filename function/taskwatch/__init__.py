"""taskwatch: report failed asynchronous database tasks (TaurusDB, GaussDB, DDS, RDS) to an SMN topic, once each.

Read the modules in the order a run uses them:
event -> config -> credentials -> sources/ (task centers) -> decide (against state/) -> messages/ -> publish
(SMN) -> state/ saved -> summary.  run.py strings them together.
"""

__version__ = "0.1.0"
