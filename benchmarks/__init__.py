"""Speed and memory benchmarks: scratchgrad against a baseline measured in the same process.

Run every workload and print the table with `python -m benchmarks` (`--help` for options).
Baselines: hand-written numpy (always), micrograd and torch (when importable; else "n/a").
Only the public APIs of `autograd` and `nn` are used here.
"""
