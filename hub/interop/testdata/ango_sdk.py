"""The calls of imerit_ango.sdk.SDK that export plugins make, written anew
for the hub's interop tests: the same paths, query parameters (built the
way the SDK builds them), apikey header, bodies and answers (the decoded
JSON, errors included: like the SDK, only the export raises on an HTTP
error).

Uses only what Debian ships (python3-requests).
"""

import io
import json
import zipfile
from urllib.parse import urlencode

import requests


def export_query(project, stage=None, batches=None, export_type="task", export_format="ndjson"):
    """The /v2/export query the SDK's ExportOptions builds.

    Every flag goes as true/false, batches, taskTypes and stage as JSON
    lists. No stage chosen still asks for stage=["Complete"]: the SDK's
    default for default tasks.
    """
    if not stage:
        stage = ["Complete"]
    return {
        "project": project,
        "sendEmail": "false",
        "includeMetadata": "true",
        "includeHistory": "true",
        "doNotNotify": "true",
        "format": export_format,
        "type": export_type,
        "includeOnlyKeyFrames": "false",
        "includeIdleBlurDurations": "false",
        "batches": json.dumps(batches or []),
        "taskTypes": json.dumps(["default"]),
        "stage": json.dumps(stage),
    }


def ndjson_iterator(content):
    for line in content.splitlines():
        if line.strip():
            yield json.loads(line)


class SDK:
    """imerit_ango.sdk.SDK as plugins use it."""

    def __init__(self, api_key, host):
        self.host = host.rstrip("/")
        self.headers = {"apikey": api_key}
        self.session = requests.Session()

    def _get(self, url):
        return self.session.get(url, headers=self.headers).json()

    def _post(self, url, payload):
        return self.session.post(url, headers=self.headers, json=payload).json()

    def list_projects(self, page=1, limit=10):
        return self._get("%s/v2/listProjects?page=%s&limit=%s" % (self.host, page, limit))

    def get_project(self, project_id):
        return self._get("%s/v2/project/%s" % (self.host, project_id))

    def get_assets(self, project_id, asset_id=None, external_id=None, page=1, limit=10, filters=None):
        url = "%s/v2/project/%s/assets?page=%s&limit=%s" % (self.host, project_id, page, limit)
        if asset_id:
            url += "&_id=%s" % asset_id
        if external_id:
            url += "&externalId=%s" % external_id
        if filters:
            url += "&filters=%s" % json.dumps(filters)
        return self._get(url)

    def get_tasks(self, project_id, page=1, limit=10, status=None, stage=None, batches=None, include_answer=False,
                  task_filter=None, sort=None, fields=None):
        url = "%s/v2/project/%s/tasks?page=%s&limit=%s&includeAnswer=%s" % (
            self.host, project_id, page, limit, include_answer)
        if status:
            url += "&status[eq]=%s" % status
        if batches:
            url += "&batches=%s" % json.dumps(batches)
        if stage:
            url += "&stage=%s" % stage
        if task_filter:
            url += "&filter=%s" % json.dumps(task_filter)
        if sort:
            url += "&sort=%s" % sort
        if fields:
            url += "&fields=%s" % fields
        return self._get(url)

    def get_task(self, task_id):
        return self._get("%s/v2/task/%s" % (self.host, task_id))

    def get_task_history(self, task_id):
        return self._get("%s/v2/task/%s/history" % (self.host, task_id))

    def get_metrics(self, project_id, metric):
        return self._get("%s/v2/%s/overview/%s" % (self.host, project_id, metric))

    def get_issues(self, project_id, asset_id=None, task_id=None, stage_id=None, created_by=None):
        params = {"project": project_id}
        for key, value in (("asset", asset_id), ("labelTask", task_id), ("stage", stage_id), ("createdBy", created_by)):
            if value:
                params[key] = value
        return self._get("%s/v2/issues?%s" % (self.host, urlencode(params)))

    def create_issue(self, task_id, content, position=None, object_id=None, error_codes=None, content_mentions=None):
        payload = {"content": content, "labelTask": str(task_id)}
        if position is not None:
            payload["position"] = str(position)
        if object_id:
            payload["objectId"] = object_id
        if error_codes:
            payload["errorCodes"] = error_codes
        if content_mentions:
            payload["contentMentions"] = content_mentions
        return self._post("%s/v2/issues" % self.host, payload)

    def update_issue(self, issue_id, **fields):
        return self._post("%s/v2/issues/%s" % (self.host, issue_id), fields)

    def comment_issue(self, issue_id, content, content_mentions=None):
        payload = {"content": content}
        if content_mentions:
            payload["contentMentions"] = content_mentions
        return self._post("%s/v2/issues/%s/comment" % (self.host, issue_id), payload)

    def delete_issue(self, issue_id, project_id):
        return self.session.delete("%s/v2/issues/%s?project=%s" % (self.host, issue_id, project_id),
                                   headers=self.headers).json()

    def exportV3(self, project_id, batches=None, stage=None, export_format="json", export_type="task"):
        """GET /v2/export with the ExportOptions query, then the zip's first
        entry: a list (json) or an (iterator, count) pair (ndjson)."""
        params = export_query(project_id, stage, batches, export_type, export_format)
        r = self.session.get("%s/v2/export?%s" % (self.host, urlencode(params)), headers=self.headers)
        r.raise_for_status()
        link = r.json()["data"]["exportPath"]
        z = requests.get(link)
        z.raise_for_status()
        with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
            content = zf.read(zf.namelist()[0])
        if export_format == "ndjson":
            return ndjson_iterator(content), content.count(b"\n")
        return json.loads(content)
