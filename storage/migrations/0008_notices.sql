-- Notices (broadcasts and reminder occurrences) and their delivery through the outbox.
-- One outbox row per (notice, recipient chat). A row is 'sending' from just before its
-- request until the answer is recorded, so a row still 'sending' at start was in flight
-- when the bot died: it is sent again and counted as possibly duplicated (可能重复).

CREATE TABLE notices (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('broadcast', 'reminder')),
    text              TEXT NOT NULL,
    photo_file_id     TEXT,
    document_file_id  TEXT,
    target            TEXT NOT NULL,            -- the target spec (knowledge/notices/targets.py)
    topic             TEXT,
    urgent            INTEGER NOT NULL DEFAULT 0,
    pin               INTEGER NOT NULL DEFAULT 0,
    created_by        INTEGER NOT NULL,         -- 0 for the CLI and the scheduler
    ref               TEXT,                     -- what produced it, e.g. 'reminder:3@2026-…'
    state             TEXT NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'done', 'cancelled')),
    total             INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    started_at        TEXT,                     -- first row sent
    finished_at       TEXT,                     -- no row left queued or sending
    cancelled_by      INTEGER,
    reported_at       TEXT                      -- the sender was told the result
);
CREATE INDEX notices_open ON notices(state);

-- The foundation's status values: pending → queued, cancelled → skipped; new values
-- 'sending' and 'skipped'. The old columns keep their meaning.
UPDATE outbox SET status = 'queued' WHERE status = 'pending';
UPDATE outbox SET status = 'skipped' WHERE status = 'cancelled';
ALTER TABLE outbox ADD COLUMN notice_id INTEGER REFERENCES notices(id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;   -- urgent first
ALTER TABLE outbox ADD COLUMN message_id INTEGER;                    -- Telegram's, once sent
ALTER TABLE outbox ADD COLUMN reason TEXT;            -- why failed/skipped: blocked, kicked, ...
ALTER TABLE outbox ADD COLUMN possibly_duplicate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN migrated_from INTEGER;  -- the group id it was queued for
ALTER TABLE outbox ADD COLUMN sending_at TEXT;
CREATE INDEX outbox_notice ON outbox(notice_id, status);
CREATE INDEX outbox_queue ON outbox(status, priority, not_before, id);
