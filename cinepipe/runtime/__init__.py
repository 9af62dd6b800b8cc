"""Run-time wiring shared by flows: task runners, the run ledger, run names and tags."""
