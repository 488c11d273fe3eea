"""Op-table cases for the shapes ops (see op_table.py)."""
