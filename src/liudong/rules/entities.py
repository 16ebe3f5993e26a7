"""Entities: the kinds of thing a variable describes (a person, a household, an application).

An entity may belong to another (a person to a household) through a key column. Inside a
simulation that link is held as a positional index array, so reading a household value for each
member is a gather and summing over members is a bincount: never a join.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["HOUSEHOLD", "PERSON", "Entity"]


@dataclass(eq=False)
class Entity:
    """A kind of row. ``key`` is its identifier column.

    ``parent`` and ``parent_key`` declare membership: each row of this entity belongs to exactly
    one row of ``parent``, named by the ``parent_key`` column (e.g. a person's household_id).
    ``jurisdiction`` names the region variable whose value selects per-region parameters.
    """

    name: str
    key: str
    label: dict[str, str]
    plural: str
    parent: Entity | None = None
    parent_key: str | None = None
    children: list[Entity] = field(default_factory=list, repr=False)

    def belongs_to(self, parent: Entity, *, via: str) -> Entity:
        """Declare that each row of this entity belongs to one row of ``parent``."""
        self.parent, self.parent_key = parent, via
        parent.children.append(self)
        return self

    def is_ancestor_of(self, other: Entity) -> bool:
        node = other.parent
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def __repr__(self) -> str:
        return f"Entity({self.name})"


HOUSEHOLD = Entity("household", "household_id", {"zh": "家庭", "en": "household"}, "households")
PERSON = Entity("person", "person_id", {"zh": "个人", "en": "person"}, "persons").belongs_to(
    HOUSEHOLD, via="household_id"
)
