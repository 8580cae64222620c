"""Where each ticket's staff card was posted, so it is edited in place."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.tickets.service.core import TicketServiceCore
from storage import ticket_cards_repo


class StaffCards(TicketServiceCore):
    """The (chat id, message id) places of a ticket's staff cards."""

    async def remember_cards(self, ticket_id: int, places: Sequence[tuple[int, int]]) -> None:
        """Where the ticket's staff card was posted (chat id, message id), kept in SQL so
        the card is still edited in place after a restart."""
        if places:
            async with self._lock:
                await ticket_cards_repo.add_cards(self._db, ticket_id, places)

    async def cards(self, ticket_id: int) -> list[tuple[int, int]]:
        return await ticket_cards_repo.cards(self._db, ticket_id)

    async def forget_cards(self, ticket_id: int) -> None:
        """A final ticket's cards are not edited again."""
        async with self._lock:
            await ticket_cards_repo.forget_cards(self._db, ticket_id)
