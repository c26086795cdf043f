"""Customer texts."""

ID: dict[str, str] = {}

EN: dict[str, str] = {}
