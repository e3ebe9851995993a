"""The foundation every stage stands on: settings, the warehouse connection and embedded
server, the warehouse's own tables, reference facts, code lists and identifiers.

It imports nothing else of this project (`make lint` checks it).
"""
import warnings

# pgserver asks platformdirs for XDG_RUNTIME_DIR when imported; servers and CI rarely set it
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
