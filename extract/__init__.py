"""Readers for each source kind and the COPY loader (see README, "Extract and load")."""
