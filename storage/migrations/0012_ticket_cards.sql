-- Where each ticket's staff card was posted (the staff chat, or each staff member's private
-- chat), so the card is edited in place as the ticket moves, also after a restart.
-- Forgotten once the ticket is final (rated or closed): its card loses its buttons then.

CREATE TABLE ticket_cards (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, chat_id, message_id)
);
