"""Form definitions, validation of records against them, prompts and editing."""
