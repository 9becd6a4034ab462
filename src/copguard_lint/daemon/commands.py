"""`copguard daemon status|start|stop`: look at and control the warm server.

These always run in-process (entry.py never forwards them): stopping a
server through itself would be odd, and status must work when none runs.
"""

from __future__ import annotations

import sys
import time

import click


@click.group("daemon")
def daemon_group() -> None:
    """The opt-in warm server behind `copguard check --daemon` (or COPGUARD_DAEMON=1)."""


def _socket_paths():
    from . import location

    if not location.supported():
        click.echo("copguard: error: daemon mode needs Unix sockets and fork (not available here)", err=True)
        sys.exit(2)
    try:
        return location.paths()
    except (location.UnsafeDirectory, OSError) as error:
        click.echo(f"copguard: error: {error}", err=True)
        sys.exit(2)


def _describe(reply) -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(reply["started"]))
    return (f"running: pid {reply['pid']}, Python {reply['python']}, started {started}, "
            f"served {reply['served']}, running {reply['running']}, "
            f"idle timeout {reply['idle_timeout']:g} s\nsocket: {reply['socket']}")


@daemon_group.command("status")
def status_command() -> None:
    """Say whether a server for this installation runs (exit 0) or not (exit 1)."""
    from . import client, launch

    socket_path, lock_path = _socket_paths()
    reply = client.control("status", socket_path)
    if reply is None:
        pid = launch.server_pid(lock_path) if launch.server_alive(lock_path) else None
        click.echo(f"starting: pid {pid}" if pid else "not running")
        sys.exit(1)
    click.echo(_describe(reply))


@daemon_group.command("start")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0, 600), default=60, show_default=True,
              help="Seconds to wait for the server to answer.")
def start_command(wait_seconds: float) -> None:
    """Start a server for this installation (if none runs) and wait until it answers."""
    from . import client, launch

    socket_path, lock_path = _socket_paths()
    deadline = time.monotonic() + wait_seconds
    launch.start_in_background(socket_path, lock_path, wait_for_caller=False)
    while True:
        reply = client.control("status", socket_path)
        if reply is not None:
            click.echo(_describe(reply))
            return
        if time.monotonic() >= deadline:
            click.echo("copguard: error: the daemon did not answer in time", err=True)
            sys.exit(2)
        if not launch.server_alive(lock_path):  # it died while starting, or never started
            launch.start_in_background(socket_path, lock_path, wait_for_caller=False)
        time.sleep(0.05)


@daemon_group.command("stop")
@click.option("--all", "every", is_flag=True,
              help="Stop every copguard server of this user (also those of other versions or venvs).")
def stop_command(every: bool) -> None:
    """Stop the server (runs in progress finish first)."""
    import glob
    import os

    from . import client

    socket_path, _ = _socket_paths()
    targets = sorted(glob.glob(os.path.join(os.path.dirname(socket_path), "*.sock"))) if every else [socket_path]
    stopped = 0
    for target in targets:
        reply = client.control("stop", target)
        if reply is not None:
            stopped += 1
            click.echo(f"stopped: pid {reply.get('stopped')}")
    if not stopped:
        click.echo("not running")
