-- Display names of staff (their Telegram first + last name), for staff-facing exports only.
-- Keyed by Telegram user id, which stays the identity; the name is a label beside it.
-- A table of its own rather than a column of `staff`: removing a staff member deletes
-- their `staff` row, yet the tickets they handled still name them; and administrators
-- (from the configuration) handle tickets without ever having a `staff` row.

CREATE TABLE staff_names (
    user_id       INTEGER PRIMARY KEY,
    display_name  TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
