-- Residents' questions to the knowledge base: answered or not, handed to staff, feedback.

CREATE TABLE kb_questions (
    id            INTEGER PRIMARY KEY,
    asked_at      TEXT NOT NULL,
    user_id       INTEGER,
    chat_id       INTEGER,
    chat_type     TEXT,
    question      TEXT NOT NULL,
    answered      INTEGER NOT NULL,          -- 1 when the bot gave an answer
    top_passage   INTEGER,                   -- kb_passages.id at the time (no FK: re-imports)
    top_score     REAL,
    status        TEXT NOT NULL,             -- answered | unanswered | handoff | resolved | dismissed
    handoff_at    TEXT,
    resolved_by   INTEGER,
    resolved_at   TEXT,
    faq_passage   INTEGER                    -- the FAQ entry staff wrote for it
);
CREATE INDEX kb_questions_status ON kb_questions(status, asked_at);

CREATE TABLE kb_feedback (
    question_id  INTEGER NOT NULL REFERENCES kb_questions(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    passage_id   INTEGER NOT NULL,
    helpful      INTEGER NOT NULL,           -- 1 = 👍, 0 = 👎
    at           TEXT NOT NULL,
    PRIMARY KEY (question_id, user_id, passage_id)
);
