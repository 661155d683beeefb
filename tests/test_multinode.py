"""Several nodes sharing PostgreSQL and an S3-compatible object store (issue 19): two
`choeur web` and two `choeur worker`, each with a data directory of its own, one database, one
bucket, one secret key. A flux deposited on node A is integrated and routed by a worker and
downloaded, byte for byte, from node B.

The object store is moto's stand-alone server (`moto[server]`, the test extra: no S3-compatible
server installs from Debian 12's packages), a real HTTP server speaking the S3 protocol, started
here on a free port. PostgreSQL run only: separate data directories cannot share a SQLite file.
"""

import base64
import hashlib
import io
import json
import os
import signal
import socketserver
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests import test_serve
from tests.processes import seed_script, stop, with_bench
from tests.test_serve import choeur, free_port, healthz, wait_for

serve_env = test_serve.serve_env  # its fixture: a database of its own on the PostgreSQL run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("CHOEUR_DATABASE_URL", "").startswith("postgres"),
        reason="several nodes need a shared database: PostgreSQL run only (each node has its "
               "own data directory, so they cannot share a SQLite file)"),
]

BUCKET = "choeur-nodes"
PREFIX = "instance-1"
ACCESS, SECRET = "nodes-access-key", "nodes-secret-key"
JSON = "application/json;charset=utf-8"

SEED = seed_script("""
print("TEMPLATE", base64.b64encode(template).decode())
""")

TASKS = """
import time
from django_tasks_db.models import DBTaskResult
from choeur.core.models import OutgoingEmail, WorkerHeartbeat
deadline = time.monotonic() + 60  # the routing's e-mails are delivered just after it
while (OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED).exists()
       and time.monotonic() < deadline):
    time.sleep(0.2)
pids = dict(WorkerHeartbeat.objects.values_list("worker_id", "pid"))
for task in DBTaskResult.objects.order_by("enqueued_at"):
    print("TASK", task.task_path.rsplit(".", 1)[-1], task.status,
          ",".join(str(pids.get(w, "?")) for w in task.worker_ids))
"""


@pytest.fixture
def s3():
    """moto's S3 server on a free port, the bucket created: (endpoint, boto3 client)."""
    boto3 = pytest.importorskip("boto3", reason="the s3 extra (django-storages[s3]) is needed")
    pytest.importorskip("moto.server", reason="moto[server] (the test extra) is needed")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS, aws_secret_access_key=SECRET)

        def up():
            try:
                client.list_buckets()
                return True
            except Exception:
                return False

        wait_for(up, 30, "the S3 server")
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def start(kind, env):
    args = ["worker", "--interval", "0.2"] if kind == "worker" else ["web"]
    return subprocess.Popen([sys.executable, "-m", "choeur", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


class Wire:
    """A Chorus Pro client speaking HTTP to one node."""

    def __init__(self, port, headers=None):
        self.base = f"http://127.0.0.1:{port}"
        self.headers = headers or {}

    def request(self, path, body: bytes, content_type):
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.base + path, data=body, method="POST", headers={
            **self.headers, "Content-Type": content_type, "Accept": JSON})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def token(self):
        status, body = self.request(
            "/api/oauth/token", (f"grant_type=client_credentials&client_id={CLIENT_ID}"
                                 f"&client_secret={CLIENT_SECRET}&scope=openid").encode(),
            "application/x-www-form-urlencoded")
        assert status == 200, body
        account = base64.b64encode(f"{TECH_LOGIN}:{TECH_PASSWORD}".encode()).decode()
        return {"Authorization": f"Bearer {body['access_token']}", "cpro-account": account}

    def post(self, operation, body: dict):
        status, answer = self.request(f"/cpro/{operation}", json.dumps(body).encode(), JSON)
        assert status == 200, (operation, status, answer)
        return answer


# The bench's technical account and OAuth2 client (bench/api.py's ingestion world).
CLIENT_ID = "bench-api-client"
CLIENT_SECRET = "bench-client-secret-0123456789_abcdef"
TECH_LOGIN = "TECH_BENCH_API@cpro.fr"
TECH_PASSWORD = "Bench-Tech-Password-2026!"


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class SmtpSink(socketserver.ThreadingTCPServer):
    """The smallest SMTP server a node can deliver to: it keeps each message's bytes.

    Nodes without `CHOEUR_EMAIL_URL` write their e-mails to their own outbox folder
    (docs/DEPLOYMENT.md, « What stays on a node »); these nodes are set up as the guide says,
    with SMTP, so that nothing at all stays on them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.messages: list[bytes] = []
        super().__init__(("127.0.0.1", 0), SmtpSession)


class SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                lines = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(part[1:] if part.startswith(b"..") else part)
                self.server.messages.append(b"".join(lines))
                self.wfile.write(b"250 kept\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif verb == b"EHLO":
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp():
    """An SMTP sink on a free port: its `messages` fill as nodes deliver."""
    sink = SmtpSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_flux_deposited_on_one_node_is_processed_by_a_worker_and_downloaded_from_another(
        serve_env, s3, smtp, tmp_path):
    endpoint, bucket = s3
    shared = {**with_bench(serve_env),
              "CHOEUR_EMAIL_URL": f"smtp://127.0.0.1:{smtp.server_address[1]}",
              "CHOEUR_STORAGE": f"s3://{ACCESS}:{SECRET}@{BUCKET}/{PREFIX}"
                                f"?endpoint_url={endpoint}&region=us-east-1",
              # Tokens and sessions are signed with the secret key: every node has the same.
              "CHOEUR_SECRET_KEY": "multi-node-test-secret-key-0123456789-abcdefghijklmnop"}
    nodes = {name: {**shared, "CHOEUR_DATA_DIR": str(tmp_path / name),
                    "CHOEUR_PORT": str(free_port())}
             for name in ("web-a", "web-b", "worker-1", "worker-2")}
    stages = [("start", time.monotonic())]
    assert choeur("migrate", env=nodes["web-a"]).returncode == 0
    stages.append(("migrate", time.monotonic()))
    # The nodes start while the supplier, its technical account and client are created.
    processes = {name: start("worker" if name.startswith("worker") else "web", env)
                 for name, env in nodes.items()}
    try:
        seeded = choeur("manage", "shell", "-v", "0", "-c", SEED, env=nodes["web-a"],
                        timeout=180)
        assert seeded.returncode == 0, seeded.stderr
        stages.append(("seed", time.monotonic()))
        template = base64.b64decode(next(line.split()[1] for line in seeded.stdout.splitlines()
                                         if line.startswith("TEMPLATE ")))
        invoices = {f"factures/NODES-{n}.xml": template.replace(b"BENCHNUMBER000000",
                                                                f"NODES-{n}".encode())
                    for n in (1, 2)}
        port_a, port_b = int(nodes["web-a"]["CHOEUR_PORT"]), int(nodes["web-b"]["CHOEUR_PORT"])
        for port in (port_a, port_b):
            # Up, and seeing both workers (whichever node they run on) and the bucket.
            _, health = wait_for(lambda p=port: ((h := healthz(p))[0] == 200
                                                 and h[1]["worker"]["alive"] == 2 and h), 60,
                                 f"the web node on {port}")
            assert health["storage"] == {"ok": True, "state": "up", "backend": "S3Storage"}
        stages.append(("nodes up", time.monotonic()))
        node_a = Wire(port_a)
        headers = node_a.token()
        node_a.headers = headers
        node_b = Wire(port_b, headers)  # the token node A gave is good on node B

        numero = node_a.post("factures/v1/deposer/flux", {
            "idUtilisateurCourant": 0, "nomFichier": "lot-nodes.tar.gz",
            "fichierFlux": base64.b64encode(tar_gz(invoices)).decode(),
            "syntaxeFlux": "IN_DP_E1_CII_16B", "avecSignature": False})["numeroFluxDepot"]

        def routed():
            body = node_b.post("factures/v1/rechercher/fournisseur",
                               {"numeroFluxDepot": numero, "typeFacture": "FACTURE"})
            rows = body.get("listeFactures") or []
            return (len(rows) == 2 and all(r["statut"] == "MISE_A_DISPOSITION" for r in rows)
                    and rows)

        rows = wait_for(routed, 90, "the flux integrated and routed")  # 24 s at load 15
        stages.append(("deposited, integrated, routed", time.monotonic()))
        detail = node_b.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": numero})
        assert detail["etatCourantDepotFlux"] == "IN_INTEGRE"

        ids = {row["numeroFacture"]: row["identifiantFactureCPP"] for row in rows}
        body = node_b.post("factures/v1/telecharger/groupe", {
            "idUtilisateurCourant": 0, "format": "ZIP",
            "listeFacture": [{"idFacture": ids["NODES-1"]}, {"idFacture": ids["NODES-2"]}]})
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["fichierResultat"])))
        members = {name: archive.read(name) for name in archive.namelist()}
        stages.append(("downloaded", time.monotonic()))
        # Which worker did what (the heartbeats name them while they run).
        result = choeur("manage", "shell", "-v", "0", "-c", TASKS, env=nodes["web-a"])
    finally:
        print("stages (s):", ", ".join(f"{name} {at - stages[i][1]:.1f}"
                                       for i, (name, at) in enumerate(stages[1:])))
        for process in processes.values():  # all asked to stop at once, then waited for
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        outputs = {name: stop(process) for name, process in processes.items()}
        for name, output in outputs.items():  # shown when the test fails
            print(f"--- {name}\n{output[-3000:]}")

    # The invoices' XML, byte for byte as deposited on node A, downloaded from node B.
    xml = {name.rsplit("facture-", 1)[-1]: data for name, data in members.items()
           if name.endswith(".xml")}
    assert xml == {"NODES-1.xml": invoices["factures/NODES-1.xml"],
                   "NODES-2.xml": invoices["factures/NODES-2.xml"]}, list(members)
    pdfs = [data for name, data in members.items() if name.endswith(".pdf")]
    assert len(pdfs) == 2 and all(data.startswith(b"%PDF") for data in pdfs)

    # Every file is in the bucket, under the prefix, by its fingerprint; none on any node.
    keys = {item["Key"] for page in bucket.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET) for item in page.get("Contents", [])}
    assert keys and all(key.startswith(f"{PREFIX}/blobs/") for key in keys)
    stored = {key.rsplit("/", 1)[-1] for key in keys}
    for data in [*xml.values(), *pdfs]:
        sha256 = hashlib.sha256(data).hexdigest()
        assert sha256 in stored
        key = f"{PREFIX}/blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"
        assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
    for name, env in nodes.items():
        data_dir = Path(env["CHOEUR_DATA_DIR"])
        assert files_under(data_dir / "files") == [], name
        assert files_under(data_dir) == [], name  # nothing at all (the key is shared)

    # The work was done by the two workers (the web nodes run none): every task by one of
    # them, named by the heartbeat of its process; the flux's integration and its routing too.
    assert result.returncode == 0, result.stderr
    node_of = {str(processes[name].pid): name for name in ("worker-1", "worker-2")}
    ran = [(task, status, [node_of.get(pid, pid) for pid in pids.split(",")])
           for task, status, pids in (line.split()[1:] for line in result.stdout.splitlines()
                                      if line.startswith("TASK"))]
    print("tasks (name, status, worker):", ran)
    assert all(status == "SUCCESSFUL" and len(by) == 1 and by[0] in ("worker-1", "worker-2")
               for _, status, by in ran), ran
    flux_work = {task: by[0] for task, _, by in ran
                 if task in ("integrate_flux", "route_invoices")}
    assert set(flux_work) == {"integrate_flux", "route_invoices"}, ran
    print("flux integrated by", flux_work["integrate_flux"], "routed by",
          flux_work["route_invoices"])
    # Each e-mail a worker delivered went to the SMTP server, not to its node's outbox.
    delivered = sum(task == "deliver_email" for task, _, _ in ran)
    assert len(smtp.messages) == delivered, (delivered, smtp.messages)
