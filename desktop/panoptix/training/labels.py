"""The label space a model is trained on: the project's categories, in the project's order.

Label ``i`` is the ``i``-th category of the project and ``id2label[i]`` its name, so the
trained checkpoint maps back onto the same categories by name like any published model
(:func:`panoptix.core.categories.match_labels`). Every category gets a label, used or not:
a base model's labels of the same names keep their learned rows (see
:func:`panoptix.training.models.transfer_class_head`), and a category the annotators start
using later needs no new head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from panoptix.core.categories import CategorySet


@dataclass(frozen=True)
class LabelSpace:
    category_ids: tuple[int, ...]
    """Label index -> project category id."""
    names: tuple[str, ...]
    things: tuple[bool, ...]
    _index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.category_ids)})

    @classmethod
    def of(cls, categories: CategorySet) -> LabelSpace:
        ordered = list(categories)
        return cls(tuple(c.id for c in ordered), tuple(c.name for c in ordered),
                   tuple(c.isthing for c in ordered))

    def __len__(self) -> int:
        return len(self.category_ids)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.names)}

    def label_of(self, category_id: int) -> int | None:
        return self._index.get(category_id)
