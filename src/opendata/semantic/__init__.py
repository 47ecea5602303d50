"""Declared checks: their declarations, one evaluator per type, and the runner that applies them with pandera."""
