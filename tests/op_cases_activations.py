"""Op-table cases for the activations ops (see op_table.py)."""
