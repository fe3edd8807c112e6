"""One construct per concern of the Hookline stack."""
