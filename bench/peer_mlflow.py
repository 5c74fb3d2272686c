"""Benchmark: Outpost beside MLflow's basic-auth tracking server, the same three operations.

Both servers run on 127.0.0.1 under gunicorn with 2 workers on SQLite and are loaded alike by
``wrk`` (2 threads, 16 connections): who am I (``GET /api/v1/viewer`` / MLflow's
``users/get``), list runs (a project's first page / ``runs/search``), create a run. MLflow is
installed by this script into its own virtualenv (``~/.cache/outpost-bench/mlflow``, not the
project's dependencies). Prints requests per second and the ratio (targets: >= 3x on reads,
>= 2x on creating a run).

    python bench/peer_mlflow.py [--seconds 5] [--venv PATH]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.viewer_throughput import _wait  # noqa: E402
from bench.viewer_wrk import gunicorn  # noqa: E402
from bench.world import bench_env  # noqa: E402
from tests.fixtures.ports import free_port  # noqa: E402

MLFLOW_ADMIN = ("admin", "bench-password-1234")
SEED_RUNS = 100


def _mlflow_venv(path: Path) -> Path:
    mlflow = path / "bin" / "mlflow"
    if not mlflow.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        pip = [str(path / "bin" / "pip"), "install", "-q", "mlflow[auth]"]
        subprocess.run(pip, check=True)
    return mlflow


def _start_mlflow(mlflow: Path, data: Path, port: int) -> subprocess.Popen:
    config = data / "auth.ini"
    config.write_text(
        "[mlflow]\ndefault_permission = READ\n"
        f"database_uri = sqlite:///{data / 'auth.db'}\n"
        f"admin_username = {MLFLOW_ADMIN[0]}\nadmin_password = {MLFLOW_ADMIN[1]}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    env = {
        **os.environ,
        "MLFLOW_AUTH_CONFIG_PATH": str(config),
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "m" * 40,
    }
    args = [str(mlflow), "server", "--app-name", "basic-auth", "--host", "127.0.0.1"]
    args += ["--port", str(port), "--workers", "2"]
    if (mlflow.parent / "gunicorn").exists():  # the same server and worker kind as Outpost's
        args += ["--gunicorn-opts", "--worker-class sync"]
    args += ["--backend-store-uri", f"sqlite:///{data / 'mlflow.db'}"]
    args += ["--default-artifact-root", str(data / "artifacts")]
    return subprocess.Popen(
        args, cwd=data, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _outpost_world(env: dict) -> str:
    """A user in a team with a project of SEED_RUNS runs; returns the user's API key."""
    from server import create_app
    from tests.factories import make_key, make_project, make_run, make_team, make_user

    app = create_app(environ=env)
    with app.app_context():
        ada = make_user("ada", password=None)
        project = make_project(make_team("lab", members=[ada]), "mnist", created_by=ada)
        for n in range(SEED_RUNS):
            make_run(project, ada, f"seed{n}")
        return make_key(ada)


def wrk(url: str, seconds: int, headers: dict, body: dict | None = None) -> float:
    """Requests per second; fails when any answer was not 2xx."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    lines = [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    if body is not None:
        lines += ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}"]
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    script.write_text("\n".join(lines) + "\n")
    # A long timeout: a slow server's answers count instead of vanishing as timeouts.
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    script.unlink()
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors under load:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--venv", default=str(Path.home() / ".cache/outpost-bench/mlflow"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    mlflow = _mlflow_venv(Path(args.venv))

    env, data = bench_env()
    key = _outpost_world(env)
    mlflow_data = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
    ports = {"outpost": free_port(), "mlflow": free_port()}
    procs = [
        gunicorn("server.wsgi:app", ports["outpost"], env),
        _start_mlflow(mlflow, mlflow_data, ports["mlflow"]),
    ]
    try:
        out = f"http://127.0.0.1:{ports['outpost']}/api/v1"
        ml = f"http://127.0.0.1:{ports['mlflow']}/api/2.0/mlflow"
        _wait(out + "/viewer")
        _wait(f"http://127.0.0.1:{ports['mlflow']}/health", timeout=120)
        basic = base64.b64encode(":".join(MLFLOW_ADMIN).encode()).decode()
        ml_auth = {"Authorization": f"Basic {basic}"}
        for _ in range(SEED_RUNS):
            requests.post(
                ml + "/runs/create", json={"experiment_id": "0"}, headers=ml_auth, timeout=10
            ).raise_for_status()
        op_auth = {"Authorization": f"Bearer {key}"}
        runs = out + "/teams/lab/projects/mnist/runs"
        operations = [
            (
                "whoami",
                (out + "/viewer", op_auth, None),
                (ml + f"/users/get?username={MLFLOW_ADMIN[0]}", ml_auth, None),
                3,
            ),
            (
                "list runs",
                (runs + "?limit=50", op_auth, None),
                (ml + "/runs/search", ml_auth, {"experiment_ids": ["0"], "max_results": 50}),
                3,
            ),
            (
                "create run",
                (runs, op_auth, {}),
                (ml + "/runs/create", ml_auth, {"experiment_id": "0"}),
                2,
            ),
        ]
        print(f"{'operation':<12}{'outpost req/s':>15}{'mlflow req/s':>15}{'ratio':>8}  target")
        for name, ours, theirs, target in operations:
            wrk(ours[0], 1, ours[1], ours[2])  # warm up
            wrk(theirs[0], 1, theirs[1], theirs[2])
            a = wrk(ours[0], args.seconds, ours[1], ours[2])
            b = wrk(theirs[0], args.seconds, theirs[1], theirs[2])
            ratio = f"{a / b:8.2f}" if b else "     inf"
            print(f"{name:<12}{a:15.1f}{b:15.1f}{ratio}  >= {target}")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(20)
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(mlflow_data, ignore_errors=True)


if __name__ == "__main__":
    main()
