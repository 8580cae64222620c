-- Consultations (业主意见征询): votes counted by headcount and floor area on the register.
-- The scope's households are frozen into consult_roster at publication; votes are events
-- chained with SHA-256 (knowledge/consult/chain.py), never updated or deleted.

CREATE TABLE consultations (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    question        TEXT NOT NULL,
    options         TEXT NOT NULL,            -- JSON array of labels; the first approves
    scope           TEXT NOT NULL,            -- community:小区|building:小区/楼栋,...
    rule            TEXT NOT NULL,            -- knowledge/consult/rules.py spec
    non_voters      TEXT NOT NULL DEFAULT 'ignore' CHECK (non_voters IN ('ignore', 'majority')),
    show_tally      INTEGER NOT NULL DEFAULT 0,
    opens_at        TEXT NOT NULL,            -- ISO 8601, aware
    closes_at       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'published', 'closed')),
    target          TEXT,                     -- where the ballot goes; NULL: groups of the scope
    created_by      INTEGER NOT NULL,         -- 0 for the CLI
    created_at      TEXT NOT NULL,
    published_at    TEXT,
    posted_at       TEXT,                     -- the running bot posted the ballots
    genesis_hash    TEXT,                     -- over the definition and the frozen roster
    head_hash       TEXT,                     -- hash of the latest vote event (or genesis)
    events          INTEGER NOT NULL DEFAULT 0,
    closed_at       TEXT,
    closed_by       INTEGER,
    close_reason    TEXT CHECK (close_reason IN ('deadline', 'early')),
    final_hash      TEXT,
    result          TEXT,                     -- the result JSON stored at close
    result_posted_at TEXT
);
CREATE INDEX consultations_status ON consultations(status);

CREATE TABLE consult_roster (
    consultation_id INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    household_id    INTEGER NOT NULL,         -- no FK: the record outlives register edits
    community       TEXT NOT NULL,
    building        TEXT NOT NULL,
    unit            TEXT NOT NULL,
    room            TEXT NOT NULL,
    area_centi      INTEGER NOT NULL,
    owner_key       TEXT,
    unsold          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (consultation_id, household_id)
);

CREATE TABLE consult_votes (
    consultation_id INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    household_id    INTEGER NOT NULL,
    option          TEXT NOT NULL,
    cast_at         TEXT NOT NULL,
    user_id         INTEGER,                  -- NULL once the resident is forgotten
    via_chat        INTEGER,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (consultation_id, seq)
);
CREATE INDEX consult_votes_household ON consult_votes(consultation_id, household_id);

-- Ballot, tally and result messages the bot posted (edited in place).
CREATE TABLE consult_messages (
    consultation_id INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('ballot', 'result')),
    PRIMARY KEY (consultation_id, chat_id, message_id)
);

-- Reminders to owners who have not voted: at most one a day per resident.
CREATE TABLE consult_reminders (
    user_id         INTEGER NOT NULL,
    day             TEXT NOT NULL,            -- local date
    PRIMARY KEY (user_id, day)
);

-- Informal native polls (/poll): non-binding, answers summarised by headcount and household.
CREATE TABLE consult_polls (
    poll_id         TEXT PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    question        TEXT NOT NULL,
    options         TEXT NOT NULL,            -- JSON array of labels
    anonymous       INTEGER NOT NULL,
    counts          TEXT NOT NULL DEFAULT '[]', -- JSON array: Telegram's voter counts
    created_by      INTEGER NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE TABLE consult_poll_answers (
    poll_id         TEXT NOT NULL REFERENCES consult_polls(poll_id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    options         TEXT NOT NULL,            -- JSON array of option indexes ([] = retracted)
    at              TEXT NOT NULL,
    PRIMARY KEY (poll_id, user_id)
);
