"""Synthesis: plan every take (:mod:`.plan`), make them behind the cache (:mod:`.run`, :mod:`.cache`),
and know how long they run (:mod:`.timing`)."""
