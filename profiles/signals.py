"""Signals of profiles, for the apps that depend on profiles and so cannot be
called from it (claims, graph). Domain flow inside profiles calls services
directly; these only tell the apps downstream what happened."""

from django.dispatch import Signal

# Sent by ``profiles.services.researcher_merge`` inside its transaction, after
# the rows of profiles and works moved and before ``old`` is deleted, with
# keyword arguments ``old`` and ``survivor`` (both Researcher). A receiver
# moves its own rows that reference ``old`` to ``survivor`` (deduplicating as
# its constraints need); raising rolls the whole merge back.
researcher_merged = Signal()
