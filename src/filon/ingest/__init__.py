"""Loading validated packages (directly or through a national adapter) into a workspace."""
