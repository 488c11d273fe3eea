"""nn-table cases: training (see nn_table.py)."""
