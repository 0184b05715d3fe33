"""Storage: the schema, migrations, transactions, and the memory of published calendars."""
