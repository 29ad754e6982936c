"""Insight: what the stored answers say (statistics, practice suggestions).

Aggregations run in SQL through `storage`; results are small typed records.
"""
