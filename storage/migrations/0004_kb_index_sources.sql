-- The raw text each passage's index terms come from, so that a new tokenizer (a larger
-- domain dictionary, new stopwords) can re-tokenise stored passages at start instead of
-- asking staff to re-import every document.
ALTER TABLE kb_passages ADD COLUMN body_source TEXT NOT NULL DEFAULT '';
ALTER TABLE kb_passages ADD COLUMN head_source TEXT NOT NULL DEFAULT '';
ALTER TABLE kb_passages ADD COLUMN bigram_source TEXT NOT NULL DEFAULT '';
