-- Sentence vectors of passages for the semantic second stage (knowledge/qa/semantic.py):
-- one float16 row a passage, with the fingerprint of the encoder (name and version) that
-- computed it. A background embedder fills them after an import; a passage without a row
-- of the current encoder ranks by keywords alone until it has one, and an encoder change
-- re-embeds (rows of another fingerprint count as missing). They go with their passage.
-- No generation trigger: vectors do not change what the keyword index holds.
CREATE TABLE kb_passage_vectors (
    passage_id INTEGER PRIMARY KEY REFERENCES kb_passages(id) ON DELETE CASCADE,
    encoder    TEXT NOT NULL,
    vector     BLOB NOT NULL
);
