"""License verification."""
