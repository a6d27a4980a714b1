"""Pages for clerks (placeholder until the pages land)."""

HANDLERS: list = []
ROOT_HANDLERS: list = []
