"""The center's own work (issue 8): meetings and protocol assignments, roadmaps, public hearings.

The models are in ``mcu.models`` (DESIGN §3 gives this work to ``mcu``); the code that works
with them is here, apart from the tenancy core, because it needs the apps built on ``mcu`` —
people and blocks (``roles``), topics, incidents and notifications (``incidents``). Nothing in
``roles`` or ``incidents`` imports this package, so the dependency still points one way.
"""
