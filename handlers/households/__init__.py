"""Households: linking accounts to homes, residents' own data, staff roster views."""
