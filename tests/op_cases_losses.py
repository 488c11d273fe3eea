"""Op-table cases for the losses ops (see op_table.py)."""
