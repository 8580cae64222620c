-- Deleting a section looks up its passages by section_id (the foreign key): without this
-- index every deleted section scanned all passages, so replacing a document of 12,000
-- sections beside another took minutes.
CREATE INDEX kb_passages_section ON kb_passages(section_id);
