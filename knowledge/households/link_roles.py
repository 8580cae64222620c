"""The roles a linked account has in a home, and which of them an owner's invite may give."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    FAMILY = "family"
    TENANT = "tenant"


# An invite from an owner makes a family member or tenant; owners come from the printed
# slip or from staff approval, since owners are who consultations count.
INVITE_ROLES = (Role.FAMILY, Role.TENANT)
ALL_ROLES = (Role.OWNER, Role.FAMILY, Role.TENANT)
