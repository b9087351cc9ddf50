"""Framework adapters: `lrsched.adapters.torch`, `.optax`, `.keras`."""
