"""Model inference with torch + transformers; imported lazily, never by core, no Qt."""
