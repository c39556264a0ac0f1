"""`make bench`: performance benchmarks of the function against the local emulator, with budgets.

Not part of `make test` (timings are not unit tests). `python -m tests.bench` runs the scenarios, one module
each: sizes (layer_size.py), cpu (cpu.py, cpu_pass.py), cold start (cold_start.py), memory (memory.py),
scale and steady state (scale.py, steady.py). The function runs in a fresh interpreter of the layer's
runtime (child.py) whose sys.path holds only the standard library, the function code and the layer; the
emulator runs in the bench process on 127.0.0.1. See README.md for the budgets and how the ideals are computed.
"""
