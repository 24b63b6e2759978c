"""Marketplace refunds by CSV file (Jet-style): staged, applied exactly once, answered with an ack."""
