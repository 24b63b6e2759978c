"""Marketplace orders (Jet-style): what a merchant's refund files are checked against."""
