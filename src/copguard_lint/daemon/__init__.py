"""Opt-in warm server ("daemon") mode: `copguard check --daemon` or COPGUARD_DAEMON=1.

A fresh process spends most of a one-file run importing libcst, click and the
rules and loading the vocabularies. The server does that once and forks a
child per request, so a call costs a thin client's start-up plus the analysis.

Modules, one job each:
  location  where the socket lives and which server a client may talk to (key)
  wire      length-prefixed frames, optionally carrying file descriptors
  client    the thin client's side of one request (no heavy imports)
  launch    starting a server in the background, at most one per key
  server    the accept/fork/reap loop of the server
  worker    what a forked child does with one request
  warmup    loading everything a request would load lazily, before serving
  commands  `copguard daemon status|start|stop`

Nothing here is imported on the normal (no daemon) path.
"""
