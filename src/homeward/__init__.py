"""Homeward: returns management for e-commerce brands and their warehouses."""

__version__ = "0.1.0"
