"""The homework prize draw: the winner is told in the app, so no contact details are asked for."""
from typing import Optional

from pydantic import BaseModel


class PrizeDrawEntry(BaseModel):
    """Weekly prize draw for the best homework answer."""

    username: str
    answer_id: int
    school: Optional[str] = None
