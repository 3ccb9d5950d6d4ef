"""Report plugins that do what public Ango report plugins do, written anew
for the hub's interop tests on the SDK calls of ango_sdk.py.

Each report is a function (data, sdk) -> (zip name, {entry: text}); the
run's Config JSON parameterises it:

  throughput  a throughput report over stageHistory in a date range:
              pages through get_assets (page_size assets a page) until
              total, keeps the stageHistory entries completed by someone
              in [from, to), and writes throughput.csv (per user and
              stage: tasks and seconds) with pandas.
  sdk-tour    calls list_projects, get_tasks (filters, sort, fields),
              get_task, get_task_history and get_metrics and writes what
              it read as tour.json, for the test to compare.
"""

import json
from datetime import datetime


def parse_time(value):
    """An ISO 8601 time as Ango writes them (2024-03-04T09:58:05.300Z)."""
    return datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def config_of(data):
    return json.loads(data.get("configJSON") or "{}")


def all_assets(sdk, project_id, page_size, logger):
    """Every asset of the project, paging get_assets until total."""
    page, seen, pages = 1, [], 0
    while True:
        resp = sdk.get_assets(project_id, page=page, limit=page_size)
        batch = resp["data"]["assets"]
        total = resp["data"]["total"]
        pages += 1
        seen.extend(batch)
        if len(seen) >= total or not batch:
            break
        page += 1
    logger.info("read assets", pages=pages, assets=len(seen), total=total)
    return seen


def throughput(data, sdk):
    import pandas as pd

    config = config_of(data)
    start, end = parse_time(config["from"]), parse_time(config["to"])
    project_id = data["projectId"]
    project = sdk.get_project(project_id)["data"]["project"]
    names = {stage["id"]: stage["name"] for stage in project["stages"]}
    rows = []
    for asset in all_assets(sdk, project_id, int(config.get("page_size", 100)), data["logger"]):
        for task in asset["labelTasks"]:
            for entry in task["stageHistory"]:
                if "completedBy" not in entry:
                    continue
                if not start <= parse_time(entry["completedAt"]) < end:
                    continue
                rows.append({"user": entry["completedBy"], "stage": names.get(entry["stageId"], entry["stageId"]),
                             "externalId": asset["externalId"], "seconds": entry.get("duration", 0) / 1000})
    frame = pd.DataFrame(rows, columns=["user", "stage", "externalId", "seconds"])
    summary = (frame.groupby(["user", "stage"])
               .agg(tasks=("externalId", "count"), seconds=("seconds", "sum"))
               .reset_index()
               .sort_values(["user", "stage"]))
    data["logger"].info("throughput", entries=len(rows))
    return project_id + "-throughput.zip", {"throughput.csv": summary.to_csv(index=False)}


def sdk_tour(data, sdk):
    project_id = data["projectId"]
    out = {}
    projects = sdk.list_projects(page=1, limit=10)["data"]
    out["projects"] = [p["_id"] for p in projects["projects"]]
    out["projectsTotal"] = projects["total"]
    done = sdk.get_tasks(project_id, page=1, limit=10, status="Completed", sort="-externalId",
                         fields="externalId,stage,status")["data"]
    out["completed"] = done["tasks"]
    out["completedTotal"] = done["total"]
    labeled = sdk.get_tasks(project_id, stage="Label", include_answer=True)["data"]["tasks"]
    out["labelStageTools"] = {t["externalId"]: len(t["answer"]["tools"]) for t in labeled}
    filtered = sdk.get_tasks(project_id, task_filter={"stage": ["Complete"], "externalId": {"$in": ["street-002.jpg"]}})
    out["filtered"] = [t["externalId"] for t in filtered["data"]["tasks"]]
    task_id = done["tasks"][0]["_id"]
    task = sdk.get_task(task_id)["data"]["task"]
    out["task"] = {k: task[k] for k in ("externalId", "stage", "status", "updatedBy", "duration")}
    history = sdk.get_task_history(task_id)["data"]["taskHistory"]
    out["history"] = [[h["stageId"], h.get("completedBy"), len(h["answer"]["tools"])] for h in history]
    groups = sdk.get_metrics(project_id, "LabelStageGroups")["data"]
    out["stageGroups"] = {g["stageId"]: g["count"] for g in groups["stages"]}
    out["unknownMetric"] = sdk.get_metrics(project_id, "TimePerTask")
    return project_id + "-tour.zip", {"tour.json": json.dumps(out, indent=1, sort_keys=True)}


MODES = {"throughput": throughput, "sdk-tour": sdk_tour}
