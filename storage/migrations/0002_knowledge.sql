-- Knowledge base: imported documents, their sections and passages, FAQ entries.
-- FAQ entries are passages too (kind 'faq', no document) so everything ranks in one list.
-- Tokens are stored per passage so a restart rebuilds the index without re-tokenising.
CREATE TABLE kb_documents (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    filename    TEXT NOT NULL UNIQUE,
    sha256      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE kb_sections (
    id           INTEGER PRIMARY KEY,
    doc_id       INTEGER NOT NULL REFERENCES kb_documents(id) ON DELETE CASCADE,
    ordinal      INTEGER NOT NULL,
    heading_path TEXT NOT NULL,   -- JSON list of headings, sub-document title first
    text         TEXT NOT NULL
);
CREATE INDEX kb_sections_doc ON kb_sections(doc_id);

CREATE TABLE kb_passages (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('doc', 'faq')),
    doc_id      INTEGER REFERENCES kb_documents(id) ON DELETE CASCADE,
    section_id  INTEGER REFERENCES kb_sections(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL DEFAULT 0,
    text        TEXT NOT NULL,    -- what a resident sees (<= 400 chars)
    full_text   TEXT,             -- FAQ: the whole answer
    source      TEXT NOT NULL,
    tokens      TEXT NOT NULL,    -- body terms, space separated
    head_tokens TEXT NOT NULL,    -- heading-path / FAQ-question terms, space separated
    bigram_text TEXT NOT NULL,    -- canonical text for the character-bigram field
    origin      TEXT NOT NULL DEFAULT 'doc' CHECK (origin IN ('doc', 'bundled', 'staff')),
    faq_key     TEXT,
    created_by  INTEGER,
    created_at  TEXT NOT NULL
);
CREATE INDEX kb_passages_doc ON kb_passages(doc_id);
CREATE INDEX kb_passages_origin ON kb_passages(origin);

CREATE TABLE kb_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
