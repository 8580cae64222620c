-- Reminders (scheduled pushes), their occurrences, residents' topic subscriptions and the
-- topics a group opted out of. SQLite is the source of truth: the job queue is rebuilt
-- from these tables at every start, never from pickled jobs.

CREATE TABLE reminders (
    id             INTEGER PRIMARY KEY,
    schedule_kind  TEXT NOT NULL
                   CHECK (schedule_kind IN ('daily', 'weekly', 'monthly', 'cron', 'once')),
    spec           TEXT NOT NULL,            -- as typed: '07:30', 'MON,THU@19:00', '0 8 * * 1'
    timezone       TEXT NOT NULL,            -- IANA name the spec is read in
    target         TEXT NOT NULL,            -- all | community:小区 | building:小区/楼栋 | chat:ID,...
    topic          TEXT NOT NULL,            -- 垃圾分类 | 消防安全 | 社区通知 | ...
    text           TEXT NOT NULL,
    urgent         INTEGER NOT NULL DEFAULT 0,   -- urgent ones ignore quiet hours
    enabled        INTEGER NOT NULL DEFAULT 1,
    grace_seconds  INTEGER NOT NULL DEFAULT 3600 CHECK (grace_seconds >= 0),
    template       TEXT,                     -- the built-in template it came from, if any
    created_by     INTEGER,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    -- Occurrences scheduled up to this instant have been dealt with (UTC ISO). The next
    -- tick looks only after it, so a restart finds exactly what it missed.
    checked_until  TEXT NOT NULL
);

-- One row per (reminder, scheduled time), written BEFORE its notice is queued: the UNIQUE
-- pair is what makes a restart, or two ticks racing, queue an occurrence at most once.
CREATE TABLE reminder_occurrences (
    id             INTEGER PRIMARY KEY,
    reminder_id    INTEGER NOT NULL REFERENCES reminders(id) ON DELETE CASCADE,
    scheduled_for  TEXT NOT NULL,            -- UTC ISO, seconds
    status         TEXT NOT NULL
                   CHECK (status IN ('pending', 'queued', 'skipped', 'failed')),
    send_after     TEXT,                     -- quiet hours held it until then (UTC ISO)
    late           INTEGER NOT NULL DEFAULT 0,   -- queued after its time (bot was down)
    notice_id      INTEGER,
    detail         TEXT,                     -- why skipped / failed
    recorded_at    TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (reminder_id, scheduled_for)
);
CREATE INDEX reminder_occurrences_open ON reminder_occurrences(status);

-- Residents who asked, in private, for reminders of a topic.
CREATE TABLE subscriptions (
    user_id     INTEGER NOT NULL,
    topic       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, topic)
);
CREATE INDEX subscriptions_topic ON subscriptions(topic);

-- A bound group that staff opted out of one topic (/reminders exclude 垃圾分类).
CREATE TABLE chat_topic_exclusions (
    chat_id      INTEGER NOT NULL,
    topic        TEXT NOT NULL,
    excluded_by  INTEGER,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (chat_id, topic)
);
