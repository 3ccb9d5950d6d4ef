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
              get_task, get_task_history, get_metrics and the issue calls
              (create_issue, comment, update, get_issues, delete) and
              writes what it read as tour.json, for the test to compare.
  issue-report
              an issue report: the issue export (exportV3 with
              export_type="issue"), the workflow's Label and Review
              stages ordered by position.x, and, paging through
              get_assets, who completed each of those stages last on
              each issue's asset (stageHistory); writes issues.csv (one
              row per issue) and error_codes.csv (issues per labeler and
              error code) with pandas.
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

    issue = sdk.create_issue(task_id, "Box misses the mirror", position=[120.5, 80], object_id="obj-1",
                             error_codes=["BOX-LOOSE"])["data"]["issue"]
    out["created"] = {k: issue[k] for k in ("content", "status", "position", "objectId", "errorCode", "stageId", "labelTask")}
    commented = sdk.comment_issue(issue["_id"], "Fixed it")["data"]["issue"]
    out["comments"] = [c["content"] for c in commented["comments"]]
    updated = sdk.update_issue(issue["_id"], status="Resolved")["data"]["issue"]
    out["updatedStatus"] = updated["status"]
    listed = sdk.get_issues(project_id, task_id=task_id)["data"]
    out["listed"] = [[i["_id"] == issue["_id"], i["status"]] for i in listed["issue"]]
    out["deleteByRunToken"] = sdk.delete_issue(issue["_id"], project_id)
    out["noTask"] = sdk.create_issue("nope", "x")
    return project_id + "-tour.zip", {"tour.json": json.dumps(out, indent=1, sort_keys=True)}


def workflow_stages(sdk, project_id):
    """The Label and Review stages, ordered by position.x then name."""
    import pandas as pd

    stages = sdk.get_project(project_id)["data"]["project"]["stages"]
    rows = [{"id": s["id"], "name": s["name"], "type": s["type"], "x": s["position"]["x"]}
            for s in stages if s["type"] in ("Label", "Review")]
    return pd.DataFrame(rows).sort_values(by=["x", "name"]).reset_index(drop=True)


def last_completed_by(history):
    """The most recent completedBy of each stage id."""
    out = {}
    for entry in history:
        if "completedBy" not in entry:
            continue
        sid = entry["stageId"]
        if sid not in out or entry["completedAt"] > out[sid][0]:
            out[sid] = (entry["completedAt"], entry["completedBy"])
    return {sid: who for sid, (_, who) in out.items()}


def issue_report(data, sdk):
    import pandas as pd

    project_id = data["projectId"]
    config = config_of(data)
    issues = sdk.exportV3(project_id, export_type="issue")
    data["logger"].info("issue export", issues=len(issues))
    if not issues:
        raise RuntimeError("the issue export is empty")
    stages = workflow_stages(sdk, project_id)
    assignees = {}
    for asset in all_assets(sdk, project_id, int(config.get("page_size", 100)), data["logger"]):
        assignees[asset["externalId"]] = last_completed_by(asset["labelTasks"][0]["stageHistory"])
    columns = []
    for _, st in stages.iterrows():
        columns.append(("Labeler" if st["type"] == "Label" else "Reviewer") + " [" + st["name"] + "]")
    rows = []
    for issue in issues:
        asset = issue["asset"]
        row = {
            "External ID": asset["externalId"],
            "Batch": ", ".join(asset["batches"]),
            "Issue ID": issue["_id"],
            "Stage": issue.get("stage", issue.get("stageId", "")),
            "Created By": issue["createdBy"],
            "Created At - Date": issue["createdAt"].split("T")[0],
            "Status": issue["status"],
            "Error Code": issue.get("errorCode", ""),
            "Content": issue["content"],
            "Comments": "\n".join(c["createdBy"] + ": " + c["content"] for c in issue["comments"]),
        }
        who = assignees.get(asset["externalId"], {})
        for (_, st), column in zip(stages.iterrows(), columns):
            row[column] = who.get(st["id"], "")
        rows.append(row)
    frame = pd.DataFrame(rows).sort_values(by=["External ID", "Created At - Date", "Issue ID"]).reset_index(drop=True)
    labeler = columns[0]
    codes = (frame[frame["Error Code"] != ""].groupby([labeler, "Error Code"]).size().reset_index(name="issues")
             .sort_values([labeler, "Error Code"]))
    return project_id + "-issues.zip", {"issues.csv": frame.to_csv(index=False), "error_codes.csv": codes.to_csv(index=False)}


MODES = {"throughput": throughput, "sdk-tour": sdk_tour, "issue-report": issue_report}
