"""Trees stored with a materialised path ("/root/child/.../"), so a whole subtree or the chain of
ancestors is one indexed query. Areas, units and catalog items are such trees."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TreeQuerySet(models.QuerySet):
    def within(self, node):
        """The node and everything below it."""
        return self.filter(path__startswith=node.path)


class TreeNode(models.Model):
    """A node with a unique `code` and a `parent` of its own kind (declared by the subclass)."""

    path = models.CharField(_("路径"), max_length=400, editable=False, db_index=True)

    objects = TreeQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # The path is derived, never typed in, so it cannot disagree with the parent; a move
        # rewrites the paths below.
        old_path = self.path
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.code}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save()

    def path_codes(self) -> list[str]:
        return [code for code in self.path.strip("/").split("/") if code]

    def path_nodes(self) -> list:
        """The root, ..., the parent and this node, in one query."""
        codes = self.path_codes()
        by_code = {node.code: node for node in type(self)._default_manager.filter(code__in=codes)}
        return [by_code[code] for code in codes if code in by_code]

    def is_within(self, other) -> bool:
        return self.path.startswith(other.path)
