"""Areas: boundary sets, the areas in them and the names places go by."""
