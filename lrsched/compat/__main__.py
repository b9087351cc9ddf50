"""`python -m lrsched.compat` prints the migration table (Markdown)."""

from lrsched.compat import migration_table

print(migration_table(), end="")
