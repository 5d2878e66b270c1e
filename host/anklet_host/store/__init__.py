"""The laptop's record store: SQLite storage (``db``), sync over any transport (``sync``), reports, export."""
