"""Console-script entry: decide, before anything heavy is imported, where a run happens.

Without the opt-in (`--daemon` or COPGUARD_DAEMON=1) this imports the normal
CLI and runs it: the only added cost is a scan of argv. With it, the thin
client in daemon/client.py hands the run to a warm server and exits with
its exit code; whenever that is not possible, the run happens here, as
usual. Only os and sys are imported at module level.
"""

import os
import sys

OPT_IN_FLAG = "--daemon"
OPT_IN_ENV = "COPGUARD_DAEMON"
_TRUE = ("1", "true", "yes", "on")


def main(argv=None):
    """Run `copguard` with `argv` (default: sys.argv[1:]), by the daemon when asked to."""
    args = sys.argv[1:] if argv is None else list(argv)
    wanted, forwarded = split_opt_in(args)
    if wanted and not _is_daemon_command(forwarded):
        from .daemon import client

        code = client.run(forwarded)
        if code is not None:
            sys.exit(code)
    from .cli import main as cli_main

    cli_main(forwarded if (wanted or argv is not None) else None)


def split_opt_in(args):
    """(daemon wanted?, args without `--daemon`). Tokens after `--` are file names, left alone."""
    wanted = os.environ.get(OPT_IN_ENV, "").strip().lower() in _TRUE
    if OPT_IN_FLAG not in args:
        return wanted, args
    end = args.index("--") if "--" in args else len(args)
    kept = [arg for arg in args[:end] if arg != OPT_IN_FLAG] + args[end:]
    return wanted or len(kept) != len(args), kept


def _is_daemon_command(args) -> bool:
    """`copguard daemon ...` controls the server and always runs here."""
    return bool(args) and args[0] == "daemon"
