"""The GitHub Pages workflow: triggers, least permissions, no racing deploys, and
a deployment only after the tests, the publish build and the site checks."""

from __future__ import annotations

import pytest
import yaml
from conftest import PROJECT

WORKFLOW = PROJECT / ".github/workflows/pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _uses(step: dict) -> str:
    """The action a step uses, without its version: "actions/checkout"."""
    return step.get("uses", "").split("@")[0]


def _step(steps: list[dict], action: str) -> dict:
    found = [step for step in steps if _uses(step) == action]
    assert len(found) == 1, f"expected one step using {action}"
    return found[0]


def _index(steps: list[dict], predicate) -> int:
    return next(number for number, step in enumerate(steps) if predicate(step))


def test_triggers(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers


def test_least_permissions_and_no_racing_deploys(workflow):
    assert workflow["permissions"] == {
        "contents": "read",
        "pages": "write",
        "id-token": "write",
    }
    for job in workflow["jobs"].values():
        assert "permissions" not in job  # nothing widens them per job
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_build_job_tests_builds_checks_and_uploads(workflow):
    steps = workflow["jobs"]["build"]["steps"]
    for step in steps:
        if "uses" in step:  # every action pinned to a version
            assert "@" in step["uses"], step

    assert _index(steps, lambda s: _uses(s) == "actions/checkout") == 0
    python = _step(steps, "actions/setup-python")
    assert str(python["with"]["python-version"]) == "3.11"

    runs = [step.get("run", "") for step in steps]
    install = _index(
        steps, lambda s: "pip install -r requirements-dev.txt" in s.get("run", "")
    )
    tests = _index(steps, lambda s: "invoke test" in s.get("run", ""))
    configure = _index(steps, lambda s: _uses(s) == "actions/configure-pages")
    assert steps[configure]["id"] == "pages"

    build = _index(steps, lambda s: "kilas.build" in s.get("run", ""))
    build_step = steps[build]
    assert "--settings publishconf.py" in build_step["run"]
    assert "--siteurl" in build_step["run"]
    siteurl_source = build_step["run"] + str(build_step.get("env", {}))
    assert "steps.pages.outputs.base_url" in siteurl_source

    check = _index(steps, lambda s: "kilas.sitecheck" in s.get("run", ""))
    assert "--site-url" in runs[check]
    assert "--base-path" in runs[check]

    upload = _index(steps, lambda s: _uses(s) == "actions/upload-pages-artifact")
    assert steps[upload]["with"]["path"] == "output"
    assert "--output output" in build_step["run"]
    # In this order: nothing is uploaded unless everything before it passed.
    assert install < tests < configure < build < check < upload


def test_deploy_job(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    step = _step(deploy["steps"], "actions/deploy-pages")
    assert step["id"] == "deployment"
