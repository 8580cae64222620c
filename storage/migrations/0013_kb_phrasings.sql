-- Staff teach the knowledge base: a resident's question (personal details removed) stored
-- as another way of asking for a passage. Its terms join the passage's heading field in
-- the index; they are re-derived from `text` whenever the tokenizer changes, and go with
-- the passage when it is deleted.
CREATE TABLE kb_phrasings (
    id          INTEGER PRIMARY KEY,
    passage_id  INTEGER NOT NULL REFERENCES kb_passages(id) ON DELETE CASCADE,
    question_id INTEGER,                 -- kb_questions.id it came from (no FK: kept as is)
    text        TEXT NOT NULL,
    tokens      TEXT NOT NULL,
    created_by  INTEGER,
    created_at  TEXT NOT NULL
);
CREATE INDEX kb_phrasings_passage ON kb_phrasings(passage_id);

-- The passages' generation: every write that can change what the index holds (passages,
-- documents becoming visible or hidden, phrasings) bumps it, in the same transaction. The
-- index file saved beside the database is keyed by it, so a stale file is never loaded,
-- whichever code path (or an older version of the bot) wrote.
INSERT INTO kb_meta (key, value) VALUES ('generation', '0')
    ON CONFLICT(key) DO NOTHING;
CREATE TRIGGER kb_gen_passage_insert AFTER INSERT ON kb_passages BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_passage_update AFTER UPDATE ON kb_passages BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_passage_delete AFTER DELETE ON kb_passages BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_document_insert AFTER INSERT ON kb_documents BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_document_update AFTER UPDATE ON kb_documents BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_document_delete AFTER DELETE ON kb_documents BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_phrasing_insert AFTER INSERT ON kb_phrasings BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_phrasing_update AFTER UPDATE ON kb_phrasings BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER kb_gen_phrasing_delete AFTER DELETE ON kb_phrasings BEGIN
    UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
