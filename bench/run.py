"""Benchmark copguard against its targets (issue 9) on a fixed corpus.

    python bench/run.py [--runs N] [--cache-dir DIR]

Fetches the corpus with pip into DIR (default: ~/.cache/copguard-bench):
Django 5.2.x's source (`pip download --no-binary :all: --no-deps`, the 885
files under django/) and one real Flask app (FlaskBB's wheel, unzipped).
Bandit and semgrep are installed into a venv under DIR; flake8 comes from the
current environment, with copguard's plugin. Each row is the median wall time
of N runs and the largest peak RSS of any one process in them (os.wait4).

Fairness: every tool scans the same files with all cores where it can use
them (copguard and flake8: -j N; semgrep: its default; bandit is single
process). flake8 "alone" is `--select E,F,W` (its own checks); "with plugin"
is `--select E,F,W,COP`, so the ratio is the plugin's added cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
DJANGO = "django==5.2.*"
FLASK_APP = "flaskbb==2.0.2"
ONE_FILE = "django/contrib/auth/views.py"  # a typical view module, ~400 lines


def sh(command: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), check=True, **kwargs)


def fetch_corpus(cache: Path) -> Tuple[Path, Path]:
    """(django source root, flask app root), downloading once."""
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    tarballs = sorted(downloads.glob("django-5.2*.tar.gz"))
    if not tarballs:
        sh([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
            DJANGO, "-d", str(downloads)])
        tarballs = sorted(downloads.glob("[dD]jango-5.2*.tar.gz"))
    tarball = tarballs[-1]
    django = cache / tarball.name[: -len(".tar.gz")]
    if not django.is_dir():
        with tarfile.open(tarball) as archive:
            archive.extractall(cache, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(cache)
    wheels = sorted(downloads.glob("[Ff]lask[Bb][Bb]-*.whl"))
    if not wheels:
        sh([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
            FLASK_APP, "-d", str(downloads)])
        wheels = sorted(downloads.glob("[Ff]lask[Bb][Bb]-*.whl"))
    flask = cache / wheels[-1].name[: -len(".whl")]
    if not flask.is_dir():
        with zipfile.ZipFile(wheels[-1]) as archive:
            archive.extractall(flask)
    return django, flask


def tool_venv(cache: Path) -> Tuple[Path, Dict[str, str]]:
    """A venv with bandit and semgrep; {tool: reason} for those that could not be installed."""
    venv = cache / "venv"
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    problems: Dict[str, str] = {}
    if not python.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
    for tool in ("bandit", "semgrep"):
        if not (python.parent / tool).exists():
            done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", tool], capture_output=True, text=True)
            if done.returncode != 0:
                problems[tool] = f"pip install {tool} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
    return python.parent, problems


def measure(command: Sequence[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> Tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB of the largest process, exit code) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(list(command), cwd=str(cwd), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read() if process.stderr else b""
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {stderr.decode()[-500:]}")
    return wall, usage.ru_maxrss, process.returncode


class Row:
    def __init__(self, name: str, wall: Optional[float] = None, rss: Optional[int] = None, note: str = ""):
        self.name, self.wall, self.rss, self.note = name, wall, rss, note


def run_row(name: str, command: Sequence[str], cwd: Path, runs: int, env=None, before=None) -> Row:
    walls, peaks = [], []
    try:
        for _ in range(runs):
            if before is not None:
                before()
            wall, rss, _ = measure(command, cwd, env)
            walls.append(wall)
            peaks.append(rss)
    except (OSError, RuntimeError) as error:
        return Row(name, note=f"unavailable: {str(error).strip().splitlines()[0][:120]}")
    return Row(name, statistics.median(walls), max(peaks))


def one_file_daemon_row(bin_dir: Path, django: Path, runs: int, env: Dict[str, str]) -> Row:
    """The pre-commit call with `--daemon`, the server warm: primed by one call, stopped afterwards.

    The server gets a private socket directory and is checked to be the one
    serving (its count of served runs), so a copguard without daemon support
    shows as unavailable rather than as a fresh process's time.
    """
    import tempfile

    name = f"copguard one file, --daemon (server warm), {ONE_FILE}"
    copguard = str(bin_dir / "copguard")
    socket_dir = tempfile.mkdtemp(prefix="cgbench")
    daemon_env = {**env, "COPGUARD_DAEMON_DIR": socket_dir}
    daemon_env.pop("COPGUARD_DAEMON", None)

    def served() -> Optional[int]:
        done = subprocess.run([copguard, "daemon", "status"], cwd=str(django), env=daemon_env,
                              capture_output=True, text=True)
        text = done.stdout if done.returncode == 0 else ""
        return int(text.split("served ", 1)[1].split(",", 1)[0]) if "served " in text else None

    try:
        started = subprocess.run([copguard, "daemon", "start"], cwd=str(django), env=daemon_env,
                                 capture_output=True, text=True)
        if started.returncode != 0:
            return Row(name, note=f"unavailable: daemon start failed: {(started.stderr or '?').strip()[:100]}")
        command = [copguard, "check", "--daemon", "--force-exclude", "--no-cache", "--exit-zero", ONE_FILE]
        measure(command, django, daemon_env)  # prime: the first request forks from a just-warmed server
        before = served()
        row = run_row(name, command, django, runs, daemon_env)
        after = served()
        if before is None or after is None or after - before != runs:
            return Row(name, note=f"unavailable: the server served {before}->{after} of {runs} runs")
        return row
    finally:
        subprocess.run([copguard, "daemon", "stop", "--all"], cwd=str(django), env=daemon_env,
                       capture_output=True)
        shutil.rmtree(socket_dir, ignore_errors=True)


def compile_own_bytecode() -> None:
    """Write copguard's .pyc files, as any installed package (and bandit's venv) has them.

    An editable install runs from the source tree, where .pyc files only appear
    after a first import, and never where PYTHONDONTWRITEBYTECODE is set (as on
    some CI machines): every timed process would then compile the package again.
    """
    import copguard_lint

    package = Path(copguard_lint.__file__).resolve().parent
    sh([sys.executable, "-m", "compileall", "-q", str(package)], stdout=subprocess.DEVNULL)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per row (the median is reported)")
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "copguard-bench"),
                        help="where the corpus and the tools' venv are kept")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the 1-worker and flask-app rows")
    args = parser.parse_args(argv)
    cache = Path(args.cache_dir).resolve()
    compile_own_bytecode()
    django, flask = fetch_corpus(cache)
    tools, problems = tool_venv(cache)
    bin_dir = Path(sys.executable).parent
    copguard = [sys.executable, "-m", "copguard_lint", "check", "-q", "--exit-zero"]
    jobs = str(os.cpu_count() or 1)
    results_cache = cache / "results-cache"
    env = dict(os.environ)
    env.pop("COPGUARD_CACHE_DIR", None)
    runs = args.runs

    def clear_results() -> None:
        shutil.rmtree(results_cache, ignore_errors=True)

    rows: List[Row] = []
    rows.append(run_row(f"copguard cold, -j {jobs}", [*copguard, "--no-cache", "-j", jobs, "django"], django, runs, env))
    cold = rows[-1]
    rows.append(run_row("copguard cold, -j 1", [*copguard, "--no-cache", "-j", "1", "django"], django, runs, env)
                if not args.skip_slow else Row("copguard cold, -j 1", note="skipped (--skip-slow)"))
    clear_results()
    measure([*copguard, "--cache-dir", str(results_cache), "-j", jobs, "django"], django, env)  # prime
    rows.append(run_row("copguard warm (nothing changed)",
                        [*copguard, "--cache-dir", str(results_cache), "-j", jobs, "django"], django, runs, env))
    warm = rows[-1]
    rows.append(run_row(f"copguard one file (pre-commit), {ONE_FILE}",
                        [str(bin_dir / "copguard"), "check", "--force-exclude", "--no-cache", "--exit-zero", ONE_FILE],
                        django, runs, env))
    one_fresh = rows[-1]
    one = one_file_daemon_row(bin_dir, django, runs, env)
    rows.append(one)
    bandit_exe = tools / "bandit"
    if "bandit" in problems:
        rows.append(Row("bandit -r", note=f"unavailable: {problems['bandit']}"))
    else:
        rows.append(run_row("bandit -r", [str(bandit_exe), "-r", "-q", "-f", "json", "-o", os.devnull, "django"],
                            django, runs, env))
    bandit = rows[-1]
    if "semgrep" in problems:
        rows.append(Row("semgrep (bench/semgrep-rules.yml)", note=f"unavailable: {problems['semgrep']}"))
    else:
        semgrep_env = {**env, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
        rows.append(run_row("semgrep (bench/semgrep-rules.yml)",
                            [str(tools / "semgrep"), "scan", "--metrics=off", "--disable-version-check", "--quiet",
                             "--config", str(HERE / "semgrep-rules.yml"), "-o", os.devnull, "django"],
                            django, runs, semgrep_env))
    semgrep = rows[-1]
    flake8 = [sys.executable, "-m", "flake8", "--exit-zero", "-j", jobs, "--output-file", os.devnull]
    rows.append(run_row("flake8 --select E,F,W", [*flake8, "--select", "E,F,W", "django"], django, runs, env))
    flake_alone = rows[-1]
    rows.append(run_row("flake8 --select E,F,W,COP", [*flake8, "--select", "E,F,W,COP", "django"], django, runs, env))
    flake_plugin = rows[-1]
    if not args.skip_slow:
        rows.append(run_row(f"copguard cold on {flask.name}, -j {jobs}",
                            [*copguard, "--no-cache", "-j", jobs, "flaskbb"], flask, runs, env))

    print(f"corpus: {django.name}/django ({sum(1 for _ in (django / 'django').rglob('*.py'))} files); "
          f"runs per row: {runs}; cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")
    print()
    print(f"| {'measurement':<52} | {'wall s':>8} | {'peak MB':>8} | note")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 10}|------")
    for row in rows:
        wall = f"{row.wall:8.2f}" if row.wall is not None else f"{'-':>8}"
        rss = f"{row.rss / 1024:8.0f}" if row.rss is not None else f"{'-':>8}"
        print(f"| {row.name:<52} | {wall} | {rss} | {row.note}")
    print()

    def ratio(a: Row, b: Row) -> Optional[float]:
        return a.wall / b.wall if a.wall and b.wall else None

    peak = max((r.rss for r in rows if r.rss is not None and r.name.startswith("copguard")), default=None)
    targets = [
        ("cold / bandit", ratio(cold, bandit), 0.5, ""),
        ("cold / semgrep", ratio(cold, semgrep), 0.35, ""),
        ("warm / cold", ratio(warm, cold), 0.1, ""),
        ("one file, s (--daemon)", one.wall, 0.35, ""),
        ("one file, s (fresh)", one_fresh.wall, None, ""),
        ("copguard peak RSS, MB", peak / 1024 if peak else None, 300, ""),
        ("flake8+COP / flake8", ratio(flake_plugin, flake_alone), 1.6, ""),
    ]
    print(f"| {'target':<24} | {'measured':>9} | {'limit':>6} | met")
    print(f"|{'-' * 26}|{'-' * 11}|{'-' * 8}|-----")
    failed = 0
    for name, value, limit, _ in targets:
        if value is None:
            print(f"| {name:<24} | {'n/a':>9} | {limit if limit is not None else '-':>6} | n/a")
            continue
        if limit is None:  # shown for comparison, not a target
            print(f"| {name:<24} | {value:9.3f} | {'-':>6} | -")
            continue
        met = value <= limit
        failed += not met
        print(f"| {name:<24} | {value:9.3f} | {limit:>6} | {'yes' if met else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
