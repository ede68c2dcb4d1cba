"""The hash-chained audit trail and per-caller session memory."""
