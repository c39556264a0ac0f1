"""A simulated month of runs (`make soak`) and its ledger; a 300-run version runs in the test suite."""
