-- Households (房屋/住户): the register staff keep and residents link their accounts to.
-- community (小区) → building (楼栋) → unit (单元) → room (房号) = one household.

CREATE TABLE communities (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE               -- as staff spell it, e.g. 幸福小区
);

CREATE TABLE households (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    building      TEXT NOT NULL,             -- canonical: '3' for 3 / 3号楼 / 3栋
    unit          TEXT NOT NULL DEFAULT '',  -- canonical: '1' for 1 / 1单元; '' when none
    room          TEXT NOT NULL,             -- canonical: '101' for 101 / 101室
    area_centi    INTEGER NOT NULL CHECK (area_centi > 0),  -- exclusive area, m² × 100 (exact)
    owners        TEXT NOT NULL DEFAULT '',  -- JSON array of names (co-owners share one vote)
    phones        TEXT NOT NULL DEFAULT '',  -- JSON array of phone numbers
    owner_key     TEXT,                      -- 业主编号: rooms of one owner share it (counted once)
    unsold        INTEGER NOT NULL DEFAULT 0, -- the developer's unsold rooms count as one owner
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (community_id, building, unit, room)
);
CREATE INDEX households_owner ON households(owner_key);

-- One-time binding codes: only a hash is stored. kind 'roster' codes are printed by staff
-- (one live code per room: a new run revokes the unused one); 'invite' codes come from a
-- linked owner's /me.
CREATE TABLE household_codes (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('roster', 'invite')),
    created_by    INTEGER,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT,
    used_by       INTEGER,
    revoked_at    TEXT
);
CREATE INDEX household_codes_room ON household_codes(household_id);

-- A Telegram account linked to a household (several per household, several per account).
CREATE TABLE household_links (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'family', 'tenant')),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'active', 'rejected', 'removed')),
    via           TEXT NOT NULL CHECK (via IN ('code', 'invite', 'request')),
    created_at    TEXT NOT NULL,
    decided_by    INTEGER,
    decided_at    TEXT,
    UNIQUE (household_id, user_id)
);
CREATE INDEX household_links_user ON household_links(user_id);

-- Code attempts, for the guessing throttle (5 wrong in an hour) and the audit trail.
CREATE TABLE bind_attempts (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL,
    at       TEXT NOT NULL,
    ok       INTEGER NOT NULL
);
CREATE INDEX bind_attempts_user ON bind_attempts(user_id, at);

-- Residents who agreed to the consent text; removed (with their links) by /leave.
CREATE TABLE residents (
    user_id       INTEGER PRIMARY KEY,
    consented_at  TEXT NOT NULL
);

-- /bindgroup 幸福小区 3号楼: the group's community and (optionally) building, matched against
-- the register when it is there, so notices can target "all groups of 幸福小区 3号楼".
ALTER TABLE chats ADD COLUMN community TEXT;
ALTER TABLE chats ADD COLUMN building TEXT;
