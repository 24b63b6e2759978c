"""Carrier adapters. Each implements `homeward.labels.domain.Carrier`."""
