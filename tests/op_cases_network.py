"""Op-table cases for the network ops (see op_table.py)."""
