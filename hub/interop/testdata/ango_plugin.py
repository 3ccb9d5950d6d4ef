#!/usr/bin/env python3
"""An export plugin that speaks to the hub exactly as the imerit-ango SDK does.

It is the Python side of the hub's interop tests and uses only what Debian
ships (python3-socketio, python3-requests). It follows plugin-protocol.md:

  * WS connector (default): socketio.Client with a ClientNamespace('/plugin'),
    websocket transport only; a `heartbeat` {id, secret} right after the
    namespace connects and then every HEARTBEAT_SECONDS (60) from another
    thread; one `plugin` event handled at a time; `log` events from the
    run's logger; `response` {export, response, session} after the upload,
    {error, session} when the callback raises; nothing when the export or
    the upload fails (the hub times the run out). No acknowledgements.
  * REST connector (CONNECTOR=REST): an HTTP server on PORT answering
    GET /heartbeat and POST /plugin (both check the Secret header); POST
    /plugin runs the export before it answers; logs and the result go to
    POST /v2/pluginLog and POST /v2/pluginResponse with the apikey header.

The run itself (section 5 and 7): GET /v2/export (NDJSON) with the run's
apiKey and the query of the SDK's ExportOptions (stage=["Complete"] when the
run has no stage filter), download the zip, read its first entry line by line, call the
callback, GET /v2/getUploadUrl, PUT the bytes, GET /v2/getSignedUrl, respond.

Environment: HOST, PLUGIN_ID, PLUGIN_SECRET (required); CONNECTOR, PORT,
HEARTBEAT_SECONDS; OUT_DIR (the callback writes each run's zip there as
<session>.zip, so tests compare the hub's download with it byte for byte);
STORAGE_ID (the callback returns it as storage_id, and the upload goes to
that organization storage: storageId on getUploadUrl and getSignedUrl);
MODE selects the callback:
  bboxes     the seed's example, sample_callback of
             examples/bboxes/python/bboxes_plugin.py (found through
             BBOXES_DIR): bounding boxes to "class x y w h" strings joined
             by the config's "separator-character";
  raise      the callback raises (the SDK then responds {"error": true});
  block      the callback logs "blocking" and never returns;
  skip-put   like bboxes but the zip is never PUT (fault injection: the
             hub must find no upload behind the response URL);
  ids        the zip holds ids.txt: the externalIds of the export, one a
             line, then the run's stage filter as the SDK's users print it
             (', '.join(stage));
  stage-report
             what public stage report plugins do (written anew here): the
             SDK's get_project, the workflow's Label and Review stages
             ordered by position.x (then name) from their type, and for
             each exported asset who completed each of those stages last
             (stageHistory), as stage_report.csv written with pandas;
  throughput, sdk-tour, issue-report
             the reports of ango_reports.py (on the SDK calls of
             ango_sdk.py).

Events the process sees are printed to stdout as JSON lines for the tests.
"""

import io
import json
import os
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import socketio

from ango_sdk import SDK, export_query, ndjson_iterator
import ango_reports

HOST = os.environ["HOST"].rstrip("/")
PLUGIN_ID = os.environ["PLUGIN_ID"]
PLUGIN_SECRET = os.environ["PLUGIN_SECRET"]
CONNECTOR = os.environ.get("CONNECTOR", "WS").upper()
PORT = int(os.environ.get("PORT", "8080"))
HEARTBEAT_SECONDS = float(os.environ.get("HEARTBEAT_SECONDS", "60"))
OUT_DIR = os.environ.get("OUT_DIR", "")
MODE = os.environ.get("MODE", "bboxes")

_print_lock = threading.Lock()


def report(event, **fields):
    """Print one event for the test harness."""
    with _print_lock:
        print(json.dumps({"event": event, **fields}), flush=True)


class RunLogger:
    """The run's logger: every call becomes one `log` payload."""

    def __init__(self, data, emit):
        self._base = {
            "organization": data.get("orgId", ""),
            "pluginId": PLUGIN_ID,
            "runBy": data.get("runBy", ""),
            "session": data.get("session", ""),
        }
        self._emit = emit

    def _log(self, level, msg, **extra):
        payload = {"level": level, **self._base, "msg": str(msg)}
        payload.update(extra)
        self._emit(payload)

    def debug(self, msg, **extra):
        self._log("DEBUG", msg, **extra)

    def info(self, msg, **extra):
        self._log("INFO", msg, **extra)

    def warning(self, msg, **extra):
        self._log("WARNING", msg, **extra)

    def error(self, msg, **extra):
        self._log("ERROR", msg, **extra)


class ExportResult:
    """What a callback returns: the zip and its name (and optionally a storage)."""

    def __init__(self, file, file_name, storage_id=None):
        self.file = file
        self.file_name = file_name
        self.storage_id = storage_id


def bboxes_callback(data):
    """The seed's example conversion, as the SDK calls a callback."""
    sys.path.insert(0, os.environ["BBOXES_DIR"])
    import bboxes_plugin

    count = [0]

    def counted(assets):
        for asset in assets:
            count[0] += 1
            yield asset

    data["jsonExport"] = counted(data["jsonExport"])
    file_name, buf = bboxes_plugin.sample_callback(data)
    config = json.loads(data.get("configJSON") or "{}")
    data["logger"].info("converted assets", assets=count[0], separator=bboxes_plugin.separator_from_config(config))
    return ExportResult(buf, file_name, storage_id=os.environ.get("STORAGE_ID") or None)


def ids_callback(data):
    """Lists the export's externalIds and the run's stage filter."""
    lines = [asset["externalId"] for asset in data["jsonExport"]]
    stage = data.get("stage")
    lines.append("stage: " + (", ".join(stage) if stage is not None else "null"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ids.txt", "\n".join(lines) + "\n")
    return ExportResult(buf, data["projectId"] + ".zip")


def latest_by_stage(history):
    """The most recent stageHistory entry of each stage id."""
    out = {}
    for entry in history:
        sid = entry.get("stageId")
        if sid not in out or entry.get("completedAt", "") > out[sid].get("completedAt", ""):
            out[sid] = entry
    return out


def stage_report_callback(data):
    import pandas as pd

    sdk = SDK(data["apiKey"], HOST)
    project = sdk.get_project(data["projectId"])["data"]["project"]
    rows = []
    for stage in project["stages"]:
        if stage["type"] not in ("Label", "Review"):
            continue
        rows.append({"id": stage["id"], "name": stage["name"], "type": stage["type"], "x": stage["position"]["x"]})
    stages = pd.DataFrame(rows).sort_values(by=["x", "name"]).reset_index(drop=True)
    report = []
    for asset in data["jsonExport"]:
        last = latest_by_stage(asset["task"].get("stageHistory", []))
        row = {"externalId": asset["externalId"]}
        for _, st in stages.iterrows():
            row["%s [%s]" % (st["name"], st["type"])] = last.get(st["id"], {}).get("completedBy")
        report.append(row)
    columns = ["externalId"] + ["%s [%s]" % (st["name"], st["type"]) for _, st in stages.iterrows()]
    csv = pd.DataFrame(report, columns=columns).to_csv(index=False)
    data["logger"].info("stage report", stages=", ".join(stages["name"]), assets=len(report))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("stage_report.csv", csv)
    return ExportResult(buf, data["projectId"] + ".zip")


def callback(data):
    if MODE == "stage-report":
        result = stage_report_callback(data)
    elif MODE in ango_reports.MODES:
        name, content = ango_reports.MODES[MODE](data, SDK(data["apiKey"], HOST))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for entry, text in content.items():
                zf.writestr(entry, text)
        result = ExportResult(buf, name)
    elif MODE in ("bboxes", "skip-put"):
        result = bboxes_callback(data)
    elif MODE == "ids":
        result = ids_callback(data)
    elif MODE == "raise":
        data["logger"].info("about to fail")
        raise RuntimeError("the callback failed on purpose")
    elif MODE == "block":
        data["logger"].info("blocking")
        while True:
            time.sleep(3600)
    else:
        raise RuntimeError("unknown MODE " + MODE)
    if OUT_DIR:
        with open(os.path.join(OUT_DIR, data["session"] + ".zip"), "wb") as f:
            f.write(result.file.getvalue())
    return result


def run_export(data, emit_log, respond):
    """One run, as the SDK's ExportPlugin.on_plugin does it."""
    session = data.get("session", "")
    report("plugin", session=session, request=data)
    api_key = data.get("apiKey")
    project = data.get("projectId")
    headers = {"apikey": api_key}
    logger = RunLogger(data, emit_log)
    params = export_query(project, data.get("stage"), data.get("batches"))
    try:
        r = requests.get(HOST + "/v2/export", params=params, headers=headers)
        r.raise_for_status()
        link = r.json()["data"]["exportPath"]
        z = requests.get(link)
        z.raise_for_status()
        with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
            content = zf.read(zf.namelist()[0])
        num_lines = len([l for l in content.splitlines() if l.strip()])
    except Exception as e:  # the SDK logs and gives up: no response
        logger.error("Error calling sdk.export: %s" % e)
        report("export_failed", session=session, error=str(e))
        return
    data["numTasks"] = num_lines
    data["jsonExport"] = ndjson_iterator(content)
    data["logger"] = logger
    data["batches"] = data.get("batches", [])
    try:
        result = callback(data)
    except Exception as e:
        report("callback_failed", session=session, error=str(e))
        respond({"error": True, "session": session})
        return
    storage = ""
    if result.storage_id:
        storage = "&storageId=%s" % result.storage_id
    up = requests.get(
        "%s/v2/getUploadUrl?name=%s&project=%s&type=exports%s" % (HOST, result.file_name, project, storage), headers=headers
    ).json()
    upload_url = up["data"]["uploadUrl"]
    # The SDK puts the upload URL into the query unencoded, as here.
    sig = requests.get(
        "%s/v2/getSignedUrl?name=%s&project=%s&type=exports%s" % (HOST, upload_url, project, storage), headers=headers
    ).json()
    signed_url = sig["data"]["signedUrl"]
    try:
        if MODE != "skip-put":
            put = requests.put(upload_url, data=result.file.getvalue())
            put.raise_for_status()
    except Exception as e:  # the SDK logs and sends no response
        logger.error("HTTP error occurred: %s" % e)
        report("upload_failed", session=session, error=str(e))
        return
    respond({"export": True, "response": signed_url, "session": session})
    report("responded", session=session)


class PluginNamespace(socketio.ClientNamespace):
    """The WS connector: the /plugin namespace of a socketio.Client."""

    def __init__(self):
        super().__init__("/plugin")
        self._busy = threading.Lock()

    def heartbeat(self):
        self.emit("heartbeat", {"id": PLUGIN_ID, "secret": PLUGIN_SECRET})

    def on_connect(self):
        report("connected")
        self.heartbeat()

    def on_disconnect(self):
        report("disconnected")
        # Like older SDK versions: a lost connection ends the process.
        os._exit(1)

    def on_error(self, data):
        report("error", data=data)

    def on_cancel(self, data):
        report("cancel", data=data)

    def on_plugin(self, data):
        with self._busy:  # one run at a time, as the SDK
            run_export(data, lambda p: self.emit("log", p), lambda p: self.emit("response", p))


def heartbeat_loop(ns):
    while True:
        time.sleep(HEARTBEAT_SECONDS)
        try:
            ns.heartbeat()
        except Exception as e:
            report("heartbeat_failed", error=str(e))
            os._exit(1)


def main_ws():
    ns = PluginNamespace()
    sio = socketio.Client(reconnection=False)
    sio.register_namespace(ns)
    sio.connect(HOST, namespaces=["/plugin"], transports=["websocket"], wait=True)
    threading.Thread(target=heartbeat_loop, args=(ns,), daemon=True).start()
    sio.wait()


class RESTHandler(BaseHTTPRequestHandler):
    """The REST connector's HTTP server."""

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        b = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def _authorized(self):
        if self.headers.get("Secret") != PLUGIN_SECRET:
            self._answer(401, {"detail": "Unauthorized"})
            return False
        return True

    def do_GET(self):
        if self.path != "/heartbeat":
            return self._answer(404, {"detail": "Not Found"})
        if self._authorized():
            self._answer(200, "ok")

    def do_POST(self):
        if self.path != "/plugin":
            return self._answer(404, {"detail": "Not Found"})
        if not self._authorized():
            return
        data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        headers = {"apikey": data.get("apiKey", "")}

        def post(path):
            return lambda p: requests.post(HOST + path, json=p, headers=headers).json()

        run_export(data, post("/v2/pluginLog"), post("/v2/pluginResponse"))
        self._answer(200, None)


def main_rest():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), RESTHandler)
    report("listening", port=server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    try:
        main_rest() if CONNECTOR == "REST" else main_ws()
    except Exception as e:
        report("fatal", error=str(e))
        sys.exit(1)
