"""nn-table cases: recurrent (see nn_table.py)."""
