"""Op-table cases for the conv ops (see op_table.py)."""
