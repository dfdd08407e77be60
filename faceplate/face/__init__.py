"""Face work: the offline model pack, landmark geometry, and the reference swapper."""
