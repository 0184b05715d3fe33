"""What coordinators do: the rules of a record, the operations, CSV in and out, worklists."""
