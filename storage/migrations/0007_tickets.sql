-- Complaints (投诉/报事) with their history, co-signers, photos; renovation needs with
-- history; users blocked from submitting; the per-day ticket number sequence.
-- Times are ISO 8601 in UTC. reporter_id is NULL for a phoned-in ticket or once the
-- reporter left (/leave): the ticket keeps its content.

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,          -- TS-20261120-0007 (local day)
    category            TEXT NOT NULL,                 -- a catalog key
    description         TEXT NOT NULL,
    community           TEXT,                          -- from the household, when linked
    building            TEXT,                          -- canonical ('3'), for matching
    location_text       TEXT NOT NULL DEFAULT '',
    household_id        INTEGER REFERENCES households(id) ON DELETE SET NULL,
    latitude            REAL,
    longitude           REAL,
    phone               TEXT,
    anonymous           INTEGER NOT NULL DEFAULT 0,
    reporter_id         INTEGER,
    reporter_name       TEXT NOT NULL DEFAULT '',
    filed_by            INTEGER,                       -- staff who filed it for a caller
    channel             TEXT NOT NULL DEFAULT 'bot' CHECK (channel IN ('bot', 'phone')),
    status              TEXT NOT NULL CHECK (status IN ('received', 'assigned',
                          'in_progress', 'resolved', 'rated', 'rejected', 'closed')),
    assignee_id         INTEGER,
    created_at          TEXT NOT NULL,
    first_response_at   TEXT,
    first_response_due  TEXT NOT NULL,
    resolve_due         TEXT NOT NULL,
    resolved_at         TEXT,
    settled_at          TEXT,                          -- last resolved or rejected
    closed_at           TEXT,
    reopen_count        INTEGER NOT NULL DEFAULT 0,
    rating_outcome      TEXT,
    rating_stars        INTEGER,
    rating_comment      TEXT,
    merged_into         INTEGER REFERENCES tickets(id)
);
CREATE INDEX tickets_reporter ON tickets(reporter_id, created_at);
CREATE INDEX tickets_status ON tickets(status, category, building);
CREATE INDEX tickets_created ON tickets(created_at);

CREATE TABLE ticket_events (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    action       TEXT NOT NULL,
    actor_id     INTEGER,                              -- NULL: the system, or forgotten
    actor_role   TEXT NOT NULL CHECK (actor_role IN ('resident', 'staff', 'system')),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    reason       TEXT,                                 -- a RejectReason for 驳回
    assignee_id  INTEGER
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

CREATE TABLE ticket_photos (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    file_id    TEXT NOT NULL,
    PRIMARY KEY (ticket_id, position)
);

-- Co-signers (同问) and reporters of tickets merged into this one.
CREATE TABLE ticket_followers (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_followers_user ON ticket_followers(user_id);

CREATE TABLE ticket_numbers (
    day   TEXT PRIMARY KEY,                            -- 20261120, local
    last  INTEGER NOT NULL
);

-- Renovation needs: every submission is kept; `current` marks the one that counts for its
-- household (or, unlinked, its resident). replaced_by points at the one that replaced it.
CREATE TABLE renovation_needs (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER REFERENCES households(id) ON DELETE SET NULL,
    user_id       INTEGER,
    items         TEXT NOT NULL,                       -- JSON array of item keys
    urgency       TEXT NOT NULL,
    text          TEXT NOT NULL DEFAULT '',
    cofund        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    current       INTEGER NOT NULL DEFAULT 1,
    replaced_by   INTEGER REFERENCES renovation_needs(id)
);
CREATE INDEX renovation_needs_household ON renovation_needs(household_id, current);
CREATE INDEX renovation_needs_user ON renovation_needs(user_id, current);

CREATE TABLE ticket_blocks (
    user_id     INTEGER PRIMARY KEY,
    blocked_by  INTEGER NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);

-- Per-deployment secrets (the key behind exports' stable resident pseudonyms).
CREATE TABLE deployment_secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
