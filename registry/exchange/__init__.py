"""Exchange: members in and out of the registry (spreadsheets, CSV, Popolo)."""
