"""Who you write as: your identities (name, address, Reply-To), your signatures, your templates (modèles)."""
