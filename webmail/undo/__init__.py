"""Annuler for actions on mail: what an archive, delete, move or flag change did, kept on a row so
that it can be put back, message by message, with the server's own UIDs (docs/undo.md)."""
