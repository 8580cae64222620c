"""Consultations (业主意见征询): rules, tallies by headcount and area, the hash chain, records."""
