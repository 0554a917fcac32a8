"""Read models: one module each, a pure `evolve(document, event)`, and the runner that applies them."""
