#!/usr/bin/env python3
"""Bounding boxes as text: the seed's sample export conversion, stdlib only.

For every asset of an Ango/exporthub export (AAF), each annotation object
that has a "bounding-box" becomes the string "<title> <x> <y> <w> <h>"
(each number rounded with Python's round(), half to even, then int()); the
strings of one asset are joined with the "separator-character" of the
Config JSON ("-" when absent or not a string). The result is one JSON list
of {"externalId", "URL", "Annotations"} objects, dumped with indent=4 into
"<projectId>.json" inside "<projectId>.zip".

Use it three ways:

* as an imerit-ango export plugin callback: ``sample_callback(data)``
  returns ``(zip_file_name, BytesIO)``;
* as a library: ``convert(assets, separator)``, ``make_zip(project_id, rows)``;
* from the command line, on an AAF file (JSON array, NDJSON, or a zip whose
  first entry is one)::

      python3 bboxes_plugin.py EXPORT [--config JSON] [--project ID] [--out DIR]

  which writes DIR/<projectId>.zip and prints its path.

The Go example in the parent directory produces the same JSON value (and
the same bytes) for the same input.
"""

import argparse
import io
import json
import os
import sys
import zipfile

DEFAULT_SEPARATOR = "-"
SEPARATOR_KEY = "separator-character"
BOX_KEY = "bounding-box"


def separator_from_config(config):
    """Returns the separator named by a parsed Config JSON value."""
    if isinstance(config, dict):
        value = config.get(SEPARATOR_KEY)
        if isinstance(value, str):
            return value
    return DEFAULT_SEPARATOR


def box_text(obj):
    """Formats one annotation object that has a bounding box."""
    box = obj[BOX_KEY]
    numbers = (int(round(box[key])) for key in ("x", "y", "width", "height"))
    return " ".join([obj["title"]] + [str(n) for n in numbers])


def annotation_objects(asset):
    """Returns the objects of an asset: task.tools, or for a legacy asset
    (no "task") the objects of its first task, tasks[0].objects."""
    if "task" in asset:
        return asset["task"]["tools"]
    return asset["tasks"][0]["objects"]


def convert(assets, separator=DEFAULT_SEPARATOR):
    """Converts an iterable of asset dicts into the list of result rows."""
    rows = []
    for asset in assets:
        boxes = [box_text(obj) for obj in annotation_objects(asset) if BOX_KEY in obj]
        rows.append({
            "externalId": asset["externalId"],
            "URL": asset["asset"],
            "Annotations": separator.join(boxes),
        })
    return rows


def make_zip(project_id, rows):
    """Returns (zip file name, BytesIO of the zip) holding the rows."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, mode="w") as archive:
        archive.writestr(project_id + ".json", json.dumps(rows, indent=4))
    data.seek(0)
    return project_id + ".zip", data


def sample_callback(data=None, **kwargs):
    """Export plugin callback.

    Newer imerit-ango SDKs call it with one dict, older ones with keyword
    arguments: projectId, jsonExport (the assets), logger, configJSON, ...
    """
    data = dict(data or {}, **kwargs)
    logger = data.get("logger")
    config = json.loads(data.get("configJSON") or "{}")
    if logger:
        logger.info("bounding boxes: conversion started")
    rows = convert(data.get("jsonExport") or [], separator_from_config(config))
    result = make_zip(data["projectId"], rows)
    if logger:
        logger.info("bounding boxes: %d assets converted" % len(rows))
    return result


def read_assets(path):
    """Yields the assets of an AAF file: JSON array, NDJSON or zipped."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            first = archive.namelist()[0]
            with archive.open(first) as entry:
                yield from _read_stream(io.TextIOWrapper(entry, encoding="utf-8"))
        return
    with open(path, encoding="utf-8") as stream:
        yield from _read_stream(stream)


def _read_stream(stream):
    head = ""
    while True:
        char = stream.read(1)
        if char == "" or not char.isspace():
            head = char
            break
    if head == "[":
        for asset in json.loads(head + stream.read()):
            yield asset
        return
    first = head + stream.readline()
    if first.strip():
        yield json.loads(first)
    for line in stream:
        if line.strip():
            yield json.loads(line)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Convert an AAF export with the bounding boxes sample.")
    parser.add_argument("export", help="AAF file: JSON array, NDJSON, or a zip whose first entry is one")
    parser.add_argument("--config", default="{}", help="Config JSON text (default {})")
    parser.add_argument("--project", help="project id (default: the export file name)")
    parser.add_argument("--out", default=".", help="output directory (default .)")
    args = parser.parse_args(argv)

    project_id = args.project or os.path.basename(args.export).split(".")[0]
    name, data = sample_callback({
        "projectId": project_id,
        "jsonExport": read_assets(args.export),
        "configJSON": args.config,
    })
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, name)
    with open(path, "wb") as out:
        out.write(data.getvalue())
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
