"""Task models: an encoder from lstmkit.layers plus a task head."""
