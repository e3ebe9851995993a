"""Data-quality gates (Great Expectations), write-audit-publish, and the gates history."""
