"""nn-table cases: optim (see nn_table.py)."""
