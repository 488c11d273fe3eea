"""nn-table cases: layers (see nn_table.py)."""
