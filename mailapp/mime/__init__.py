"""MIME for the client and the server alike: one parser, one composer (stdlib ``email``).

Qt-free, and importing only the stdlib and nh3, so the server, the client's core, store and
sync may all use it. Modules: ``addresses`` (the address value, header-text safety), ``parse``,
``compose``, ``reply``, ``headers``, ``text`` (HTML to text), ``filenames`` (safe file names).
Import the submodules; this package imports nothing, so ``mailapp.mime.addresses`` stays cheap.
"""
