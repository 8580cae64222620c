-- Foundation: staff and roles, audit log, chats, conversation persistence, outbox.

CREATE TABLE staff (
    user_id    INTEGER PRIMARY KEY,
    added_by   INTEGER,
    added_at   TEXT NOT NULL
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor_id  INTEGER NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT,
    detail    TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);

-- Every chat the bot is or was in. When a group migrates to a supergroup the row's
-- chat_id is rewritten to the new id so bindings and history follow it.
CREATE TABLE chats (
    chat_id     INTEGER PRIMARY KEY,
    type        TEXT NOT NULL,
    title       TEXT,
    status      TEXT NOT NULL DEFAULT 'member',   -- member | left | kicked | blocked
    bound_name  TEXT,                              -- community / building the group belongs to
    migrated_from INTEGER,
    first_seen  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- python-telegram-bot persistence (BasePersistence over SQLite).
CREATE TABLE ptb_user_data (
    user_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL
);
CREATE TABLE ptb_chat_data (
    chat_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL
);
CREATE TABLE ptb_kv (
    name  TEXT PRIMARY KEY,          -- 'bot_data' | 'callback_data'
    data  TEXT NOT NULL
);
CREATE TABLE ptb_conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,            -- JSON array of the conversation key
    state  TEXT NOT NULL,            -- JSON of the state
    PRIMARY KEY (name, key)
);

-- Outgoing messages queued for delivery within flood limits (broadcasts, reminders).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,            -- broadcast | reminder | notification
    payload     TEXT NOT NULL,            -- JSON: text, reply markup, ...
    status      TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed | cancelled
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    last_error  TEXT,
    ref         TEXT                      -- what produced it, e.g. 'broadcast:12'
);
CREATE INDEX outbox_due ON outbox(status, not_before);
