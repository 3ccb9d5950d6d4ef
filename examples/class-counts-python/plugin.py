#!/usr/bin/env python3
"""class-counts: a runnable export plugin in Python, for exporthub or Ango Hub.

For each exported asset it counts the annotation objects per class title and
writes class_counts.csv (externalId, then one column per class) into a zip.
It speaks the plugin protocol (docs/plugin-protocol.md) with nothing but
python-socketio and requests, as the imerit-ango SDK does:

  * connect to HOST's Socket.IO namespace /plugin (websocket transport) and
    send {"id", "secret"} as a `heartbeat` at once and every 60 seconds;
  * on a `plugin` event: GET /v2/export with the run's apiKey, download the
    zip, read its NDJSON entry, convert; GET /v2/getUploadUrl, PUT the zip,
    GET /v2/getSignedUrl; emit `response` {"export": true, "response",
    "session"} (or {"error": true, "session"} when the conversion fails);
  * `log` events along the way; every 100 assets one carries the extra
    key `progress`: {"done": n, "total": assets} (an extension of ours; a
    hub that does not know it keeps it as any extra key of a log line).

Run it (Debian: apt-get install python3-socketio python3-websocket
python3-requests; elsewhere: pip install -r requirements.txt):

    HOST=http://127.0.0.1:7420 PLUGIN_ID=... PLUGIN_SECRET=... python3 plugin.py

Config JSON: {"classes": ["Car", "Person"]} fixes the columns (default: every
class seen, sorted).
"""

import csv
import io
import json
import os
import threading
import time
import zipfile

import requests
import socketio

HOST = os.environ["HOST"].rstrip("/")
PLUGIN_ID = os.environ["PLUGIN_ID"]
PLUGIN_SECRET = os.environ["PLUGIN_SECRET"]
HEARTBEAT_SECONDS = 60
PROGRESS_EVERY = 100


def count_classes(assets, logger, total):
    """Returns the rows {externalId: {class: count}} of the assets, in order."""
    rows = []
    for done, asset in enumerate(assets, start=1):
        task = asset.get("task") or {}
        counts = {}
        for obj in task.get("tools") or []:
            title = obj.get("title", "")
            counts[title] = counts.get(title, 0) + 1
        rows.append((asset.get("externalId", ""), counts))
        if done % PROGRESS_EVERY == 0 or done == total:
            logger("INFO", "counting", progress={"done": done, "total": total})
    return rows


def make_zip(rows, classes):
    """The zip holding class_counts.csv."""
    if not classes:
        classes = sorted({c for _, counts in rows for c in counts})
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["externalId"] + classes)
    for external_id, counts in rows:
        w.writerow([external_id] + [counts.get(c, 0) for c in classes])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("class_counts.csv", text.getvalue())
    return buf.getvalue()


def run(data, emit):
    """One run: export, convert, upload, respond."""
    session = data["session"]
    project = data["projectId"]
    headers = {"apikey": data["apiKey"]}

    def log(level, msg, **extra):
        emit("log", {"level": level, "organization": data.get("orgId", ""), "pluginId": PLUGIN_ID,
                     "runBy": data.get("runBy", ""), "session": session, "msg": msg, **extra})

    try:
        config = json.loads(data.get("configJSON") or "{}")
        query = {"project": project, "format": "ndjson", "type": "task",
                 "stage": json.dumps(data.get("stage") or ["Complete"]),
                 "batches": json.dumps(data.get("batches") or [])}
        r = requests.get(HOST + "/v2/export", params=query, headers=headers)
        r.raise_for_status()
        z = requests.get(r.json()["data"]["exportPath"])
        z.raise_for_status()
        with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
            lines = [l for l in zf.read(zf.namelist()[0]).splitlines() if l.strip()]
        log("INFO", "export downloaded", assets=len(lines))
        rows = count_classes((json.loads(l) for l in lines), log, len(lines))
        body = make_zip(rows, config.get("classes") or [])
        name = "class_counts.zip"
        up = requests.get(HOST + "/v2/getUploadUrl", params={"name": name, "project": project, "type": "exports"},
                          headers=headers).json()["data"]["uploadUrl"]
        requests.put(up, data=body).raise_for_status()
        signed = requests.get(HOST + "/v2/getSignedUrl", params={"name": up, "project": project, "type": "exports"},
                              headers=headers).json()["data"]["signedUrl"]
        log("INFO", "class counts written", rows=len(rows))
        emit("response", {"export": True, "response": signed, "session": session})
    except Exception as e:  # the run fails with the message in its log
        log("ERROR", "class-counts failed: %s" % e)
        emit("response", {"error": True, "session": session})


class Plugin(socketio.ClientNamespace):
    """The /plugin namespace: heartbeats in, runs out, one run at a time."""

    def __init__(self):
        super().__init__("/plugin")
        self._busy = threading.Lock()

    def heartbeat(self):
        self.emit("heartbeat", {"id": PLUGIN_ID, "secret": PLUGIN_SECRET})

    def on_connect(self):
        print("connected to", HOST, flush=True)
        self.heartbeat()

    def on_error(self, data):
        print("hub error:", data, flush=True)

    def on_plugin(self, data):
        with self._busy:
            run(data, self.emit)


def main():
    ns = Plugin()
    sio = socketio.Client()
    sio.register_namespace(ns)
    sio.connect(HOST, namespaces=["/plugin"], transports=["websocket"], wait=True)

    def beat():
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            ns.heartbeat()

    threading.Thread(target=beat, daemon=True).start()
    sio.wait()


if __name__ == "__main__":
    main()
