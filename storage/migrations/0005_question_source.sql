-- The source label (document and section) of the passage a question was answered with,
-- or shown as a "仅供参考" suggestion, kept with the question itself: SQLite may give a
-- deleted passage's id to a new one, so looking top_passage up later can name the wrong
-- passage. NULL for questions asked before this migration and for plain declines.
ALTER TABLE kb_questions ADD COLUMN top_source TEXT;
