"""The sync engine (a later issue): outbox flush, pull and rebase. Qt-free."""
