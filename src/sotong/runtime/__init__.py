"""The running installation: worker heartbeats, the pause switch of a restored copy, the schema's release log."""
