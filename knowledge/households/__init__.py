"""Households: the register (roster) staff keep, and residents' links to their homes."""
