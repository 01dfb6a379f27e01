"""The GitHub Pages workflow (.github/workflows/pages.yml): actionlint (with
shellcheck) and zizmor find nothing; the code and content paths, the schedule,
the cache keys, the permissions per job and the pins; and the workflow's own
build and check commands refuse what `invoke gh-pages` refuses.

The workflow cannot run here: what it decides is tested through
kilas.pipeline (tests/test_pipeline.py), what it runs through its commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT, copy_project

from kilas import pipeline

WORKFLOWS = sorted((PROJECT / ".github" / "workflows").glob("*.y*ml"))
WORKFLOW = PROJECT / ".github" / "workflows" / "pages.yml"
BIN = Path(sys.executable).parent  # actionlint, shellcheck and zizmor (PyPI)
PINNED = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)"
    r"(?:\s+#\s*(?P<version>\S+))?\s*$"
)
SITE_URL = "https://redaksi.github.io/kilas"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def jobs(workflow) -> dict:
    return workflow["jobs"]


def _triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True


def _uses(step: dict) -> str:
    """The action a step uses, without its version: "actions/checkout"."""
    return step.get("uses", "").split("@")[0]


def _step(steps: list[dict], predicate) -> tuple[int, dict]:
    found = [(n, step) for n, step in enumerate(steps) if predicate(step)]
    assert len(found) == 1, f"expected one step, found {len(found)}"
    return found[0]


def _using(steps: list[dict], action: str, **where) -> tuple[int, dict]:
    def match(step: dict) -> bool:
        return _uses(step) == action and all(
            step.get("with", {}).get(key) == value for key, value in where.items()
        )

    return _step(steps, match)


def _running(steps: list[dict], text: str) -> tuple[int, dict]:
    return _step(steps, lambda step: text in step.get("run", ""))


def _tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is missing: pip install -r requirements-dev.txt"
    return str(path)


def _lint_environment() -> dict:
    # actionlint runs shellcheck on every `run:` when it finds it on PATH.
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


# --- linters ------------------------------------------------------------------------


def test_there_is_a_workflow_to_check():
    assert WORKFLOW in WORKFLOWS


def test_actionlint_with_shellcheck_finds_no_problem():
    run = subprocess.run(
        [_tool("actionlint"), "-verbose", *map(str, WORKFLOWS)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        env=_lint_environment(),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert 'Rule "shellcheck" was disabled' not in run.stderr  # it really ran


def test_actionlint_and_shellcheck_do_find_problems(tmp_path):
    """The linters are not silent: a quoting slip and a bad expression fail."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo $HOME > "$GITHUB_OUTPUT"\n'
        "      - run: echo ${{ steps.nothing.outputs.x }}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [_tool("actionlint"), str(broken)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env=_lint_environment(),
    )
    assert run.returncode == 1
    assert "SC2086" in run.stdout  # shellcheck
    assert "steps.nothing" in run.stdout  # actionlint's own expression check


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_offline_finds_nothing(persona):
    run = subprocess.run(
        [_tool("zizmor"), "--offline", "--persona", persona, *map(str, WORKFLOWS)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No findings to report" in run.stdout


def test_zizmor_does_find_the_old_workflows_faults(tmp_path):
    old = tmp_path / "old.yml"
    old.write_text(
        "name: old\non:\n  push:\n    branches: [main]\n"
        "permissions:\n  contents: read\n  pages: write\n  id-token: write\n"
        "jobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v6\n"
        "      - run: python -m invoke test\n"
        "  deploy:\n    needs: build\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/deploy-pages@v5\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [_tool("zizmor"), "--offline", str(old)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    for audit in ("unpinned-uses", "excessive-permissions", "artipacked"):
        assert audit in run.stdout


# --- pins, permissions, time limits ----------------------------------------------------


def test_every_action_is_pinned_to_a_commit_with_its_version():
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not re.match(r"^\s*(-\s+)?uses:", line):
                continue
            match = PINNED.match(line)
            assert match, f"{path.name}:{number}: unreadable uses: {line.strip()}"
            where = f"{path.name}:{number}"
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), (
                f"{where}: {match['action']} is not pinned to a full commit SHA"
            )
            assert match["version"] and re.fullmatch(
                r"v\d+\.\d+\.\d+", match["version"]
            ), f"{where}: the pinned version is not named in a comment (# vX.Y.Z)"
            action = match["action"].split("/")
            pins.setdefault("/".join(action[:2]), set()).add(
                (match["ref"], match["version"])
            )
    assert pins, "no action found"
    for action, refs in pins.items():
        # actions/cache, actions/cache/restore and actions/cache/save: one pin.
        assert len(refs) == 1, f"{action} is pinned to several commits: {refs}"


def test_least_privilege(workflow, jobs):
    assert workflow["permissions"] == {}
    expected = {
        "route": {"contents": "read", "pages": "read"},
        "suite": {"contents": "read"},
        "site": {"contents": "read"},
        "deploy": {"pages": "write", "id-token": "write"},
    }
    assert {name: job.get("permissions") for name, job in jobs.items()} == expected
    # The only job that may deploy runs no code from the repository.
    deploy = jobs["deploy"]["steps"]
    assert not [step for step in deploy if _uses(step) == "actions/checkout"]
    assert not [step for step in deploy if "python" in step.get("run", "")]


def test_every_checkout_drops_its_credentials(jobs):
    checkouts = [
        step
        for job in jobs.values()
        for step in job["steps"]
        if _uses(step) == "actions/checkout"
    ]
    assert len(checkouts) == 3
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_every_job_has_a_time_limit(jobs):
    for name, job in jobs.items():
        assert 0 < job["timeout-minutes"] <= 30, name


def test_only_deployments_wait_for_each_other(workflow, jobs):
    deploy = jobs["deploy"]["concurrency"]
    assert deploy == {"group": "pages-deploy", "cancel-in-progress": False}
    for name, job in jobs.items():
        if name != "deploy":
            assert "concurrency" not in job, name
    # The workflow's group is the run's own (nothing waits), except that a
    # new push to a pull request cancels the run of the one before.
    group = workflow["concurrency"]["group"]
    assert "github.run_id" in group
    assert "github.event.pull_request.number" in group
    assert workflow["concurrency"]["cancel-in-progress"] is True


# --- triggers and paths ---------------------------------------------------------------


def test_triggers_and_schedule(workflow):
    triggers = _triggers(workflow)
    assert triggers["push"] == {"branches": ["main"]}
    assert triggers["pull_request"] == {"branches": ["main"]}
    assert triggers["schedule"] == [{"cron": "*/15 * * * *"}]
    suite = triggers["workflow_dispatch"]["inputs"]["suite"]
    assert suite["type"] == "boolean"
    assert suite["default"] is False
    # The README says how often and how to change it.
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert "*/15 * * * *" in readme


def test_route_job_decides_with_the_pipeline(jobs):
    steps = jobs["route"]["steps"]
    _, fingerprint = _running(steps, "kilas.pipeline fingerprint")
    assert fingerprint["id"] == "fingerprint"
    lookups = [step["id"] for step in steps if _uses(step) == "actions/cache/restore"]
    assert lookups == ["passed", "failed"]
    # Only a scheduled run asks whether the code failed (to wait quietly).
    assert _step(steps, lambda s: s.get("id") == "failed")[1]["if"].startswith(
        "github.event_name == 'schedule'"
    )
    fingerprint_index, _ = _running(steps, "kilas.pipeline fingerprint")
    route_index, route = _running(steps, "kilas.pipeline route")
    assert fingerprint_index < route_index
    assert route["env"]["PASSED"] == "${{ steps.passed.outputs.cache-hit }}"
    assert route["env"]["FAILED"] == "${{ steps.failed.outputs.cache-hit }}"
    assert route["env"]["SUITE"] == "${{ inputs.suite }}"
    assert jobs["route"]["outputs"]["path"] == "${{ steps.route.outputs.path }}"
    _, pages = _using(steps, "actions/configure-pages")
    assert "pull_request" in pages["if"]  # a pull request needs no Pages site


def test_suite_runs_on_the_code_path_and_for_pull_requests(jobs):
    suite = jobs["suite"]
    assert suite["needs"] == "route"
    assert suite["if"] == (
        "needs.route.outputs.path == 'code' || needs.route.outputs.path == 'pr'"
    )
    steps = suite["steps"]
    install, _ = _running(steps, "pip install -r requirements-dev.txt")
    test, step = _running(steps, "invoke test --setup")
    assert step["env"]["KILAS_CHROMIUM"] == "/usr/bin/google-chrome"
    records = [n for n, s in enumerate(steps) if _uses(s) == "actions/cache/save"]
    assert install < test < min(records)  # recorded only after the suite ran


def test_site_job_follows_the_suite_or_the_content_path(jobs):
    site = jobs["site"]
    assert site["needs"] == ["route", "suite"]
    condition = " ".join(site["if"].split())
    assert condition == (
        "!cancelled() && needs.route.result == 'success' && "
        "(needs.suite.result == 'success' || (needs.suite.result == 'skipped' "
        "&& needs.route.outputs.path == 'content'))"
    )


def test_site_job_builds_checks_and_uploads_in_order(jobs):
    steps = jobs["site"]["steps"]
    checkout, _ = _using(steps, "actions/checkout")
    install, _ = _running(steps, "pip install -r requirements.txt")
    restore, _ = _using(steps, "actions/cache/restore", path=".kilas-cache")
    build, build_step = _running(steps, "kilas.build")
    assert "--settings publishconf.py" in build_step["run"]
    assert '--siteurl "$PAGES_BASE_URL"' in build_step["run"]
    assert build_step["env"]["PAGES_BASE_URL"] == "${{ needs.route.outputs.base-url }}"
    digest, _ = _running(steps, "kilas.pipeline digest output")
    decide, decide_step = _running(steps, "kilas.pipeline decide")
    assert decide_step["env"]["LAST"] == "${{ steps.last.outputs.cache-matched-key }}"
    check, check_step = _running(steps, "invoke check-site")
    assert check_step["if"] == "steps.decide.outputs.check == 'true'"
    # The site check's memory lives in the cached folder.
    assert f"--state {pipeline.CHECK_STATE}" in check_step["run"]
    assert pipeline.CHECK_STATE.startswith(".kilas-cache/")
    save, save_step = _using(steps, "actions/cache/save", path=".kilas-cache")
    assert "github.event_name != 'pull_request'" in save_step["if"]
    upload, upload_step = _using(steps, "actions/upload-pages-artifact")
    assert upload_step["with"]["path"] == "output"
    assert upload_step["if"] == "steps.decide.outputs.deploy == 'true'"
    # Nothing is uploaded unless everything before it passed.
    assert checkout < install < restore < build < digest < decide < check
    assert check < save < upload
    assert jobs["site"]["outputs"]["deploy"] == "${{ steps.decide.outputs.deploy }}"


def test_deploy_job(jobs):
    deploy = jobs["deploy"]
    assert deploy["needs"] == "site"
    assert deploy["if"] == (
        "needs.site.outputs.deploy == 'true' && github.ref == 'refs/heads/main'"
    )
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    steps = deploy["steps"]
    last, _ = _using(steps, "actions/cache/restore")
    _, step = _using(steps, "actions/deploy-pages")
    assert step["id"] == "deployment"
    assert step["if"] == "steps.order.outputs.newer != 'true'"
    record, record_step = _using(steps, "actions/cache/save")
    assert last < record
    assert record_step["if"] == "steps.order.outputs.newer != 'true'"


# --- cache keys ------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """restore-keys: one key prefix a line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_build_cache_key_holds_everything_a_page_depends_on_but_content(jobs):
    steps = jobs["site"]["steps"]
    _, restore = _using(steps, "actions/cache/restore", path=".kilas-cache")
    key = restore["with"]["key"]
    for part in (
        "runner.os",
        "steps.python.outputs.python-version",
        "'requirements.txt'",
        "'pelicanconf.py'",
        "'publishconf.py'",
        "'kilas/**'",
        "'plugins/**'",
        "'theme/**'",
    ):
        assert part in key, part
    assert "content" not in key  # the incremental build follows content exactly
    # One fallback: the same inputs, another run's content. Never a cache of
    # other code (the page keys do not cover kilas/ itself).
    fallbacks = _lines(restore["with"]["restore-keys"])
    assert len(fallbacks) == 1
    assert key.endswith("-${{ github.run_id }}-${{ github.run_attempt }}")
    assert fallbacks[0] + "${{ github.run_id }}-${{ github.run_attempt }}" == key
    _, save = _using(steps, "actions/cache/save", path=".kilas-cache")
    assert save["with"]["key"] == "${{ steps.cache.outputs.cache-primary-key }}"
    assert restore["id"] == "cache"


@pytest.mark.parametrize(
    ("job", "kind", "files"),
    [
        ("suite", "dev", "'requirements.txt', 'requirements-dev.txt'"),
        ("site", "site", "'requirements.txt'"),
    ],
)
def test_pip_cache_keys(jobs, job, kind, files):
    _, step = _using(jobs[job]["steps"], "actions/cache", path="~/.cache/pip")
    prefix = f"pip-${{{{ runner.os }}}}-py${{{{ steps.python.outputs.python-version }}}}-{kind}-"
    assert step["with"]["key"] == prefix + f"${{{{ hashFiles({files}) }}}}"
    # pip verifies what it takes from its cache: an older one is safe.
    assert _lines(step["with"]["restore-keys"]) == [prefix]


def test_suite_records_match_the_route_lookups(jobs):
    route = jobs["route"]["steps"]
    suite = jobs["suite"]["steps"]
    lookups = {
        step["id"]: step["with"]
        for step in route
        if _uses(step) == "actions/cache/restore"
    }
    saves = [step for step in suite if _uses(step) == "actions/cache/save"]
    assert [step["if"].split(" && ")[0] for step in saves] == ["success()", "failure()"]
    for lookup, save in zip((lookups["passed"], lookups["failed"]), saves, strict=True):
        assert lookup["lookup-only"] is True
        assert lookup["path"] == save["with"]["path"] == "${{ env.RECORD }}"
        assert (
            lookup["key"].replace(
                "steps.fingerprint.outputs.fingerprint",
                "needs.route.outputs.fingerprint",
            )
            == save["with"]["key"]
        )
        assert "env.PYTHON_VERSION" in save["with"]["key"]


def test_deployment_records_are_read_as_they_are_written(jobs):
    _, save = _using(jobs["deploy"]["steps"], "actions/cache/save")
    key = save["with"]["key"]
    assert key == (
        "kilas-deployed-${{ github.run_id }}-${{ github.run_attempt }}-"
        "${{ needs.site.outputs.digest }}"
    )
    written = (
        key.replace("${{ github.run_id }}", "16000000001")
        .replace("${{ github.run_attempt }}", "2")
        .replace("${{ needs.site.outputs.digest }}", "ab12" * 16)
    )
    assert pipeline.last_digest(written) == "ab12" * 16
    for job in ("site", "deploy"):
        _, lookup = _using(
            jobs[job]["steps"], "actions/cache/restore", key="kilas-deployed-none"
        )
        assert _lines(lookup["with"]["restore-keys"]) == [pipeline.DEPLOYED_PREFIX]
        assert lookup["with"]["path"] == save["with"]["path"]
        assert lookup["with"]["lookup-only"] is True


# --- the steps' scripts, run as GitHub runs them ---------------------------------------


def _run_step(step: dict, tmp_path: Path, cwd: Path = PROJECT, **env: str):
    """Run a step's script with bash as GitHub does; return the run and the
    outputs it wrote to $GITHUB_OUTPUT."""
    output = tmp_path / "github-output"
    output.write_text("", encoding="utf-8")
    run = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(PROJECT),
            "GITHUB_OUTPUT": str(output),
            "RECORD": str(tmp_path / "record.txt"),
            **env,
        },
    )
    lines = output.read_text(encoding="utf-8").splitlines()
    return run, dict(line.split("=", 1) for line in lines)


def test_fingerprint_step(jobs, tmp_path):
    _, step = _running(jobs["route"]["steps"], "kilas.pipeline fingerprint")
    run, outputs = _run_step(step, tmp_path)
    assert run.returncode == 0, run.stderr
    assert outputs == {"fingerprint": pipeline.code_fingerprint(PROJECT)}
    # Outside a Git repository the step fails: no empty fingerprint goes on.
    elsewhere = tmp_path / "not-a-repository"
    elsewhere.mkdir()
    run, outputs = _run_step(
        step, tmp_path, elsewhere, GIT_CEILING_DIRECTORIES=str(tmp_path)
    )
    assert run.returncode != 0
    assert outputs == {}


@pytest.mark.parametrize(
    ("event", "passed", "failed", "suite", "path"),
    [
        ("push", "true", "", "", "content"),
        ("push", "", "", "", "code"),
        ("pull_request", "true", "", "", "pr"),
        ("schedule", "true", "", "", "content"),
        ("schedule", "", "true", "", "wait"),
        ("workflow_dispatch", "true", "", "true", "code"),
        ("workflow_dispatch", "true", "", "false", "content"),
    ],
)
def test_route_step(jobs, tmp_path, event, passed, failed, suite, path):
    _, step = _running(jobs["route"]["steps"], "kilas.pipeline route")
    env = {"EVENT": event, "PASSED": passed, "FAILED": failed, "SUITE": suite}
    run, outputs = _run_step(step, tmp_path, **env)
    assert run.returncode == 0, run.stderr
    assert outputs == {"path": path}
    assert ("::notice::" in run.stdout) == (path == "wait")


@pytest.mark.parametrize(
    ("event", "name", "url", "base_path"),
    [
        ("pull_request", "kilas", "https://redaksi.github.io/kilas", "/kilas"),
        ("pull_request", "Redaksi.github.io", "https://redaksi.github.io", ""),
        ("push", "kilas", "https://berita.example.org", ""),  # from configure-pages
    ],
)
def test_address_step(jobs, tmp_path, event, name, url, base_path):
    _, step = _step(jobs["route"]["steps"], lambda s: s.get("id") == "address")
    env = {"EVENT": event, "OWNER": "Redaksi", "NAME": name}
    if event != "pull_request":
        env |= {"PAGES_BASE_URL": url, "PAGES_BASE_PATH": base_path}
    run, outputs = _run_step(step, tmp_path, **env)
    assert run.returncode == 0, run.stderr
    assert outputs == {"base-url": url, "base-path": base_path}


def test_digest_and_decide_steps(jobs, tmp_path):
    steps = jobs["site"]["steps"]
    _, digest_step = _running(steps, "kilas.pipeline digest")
    _, decide_step = _running(steps, "kilas.pipeline decide")
    folder = tmp_path / "checkout"
    (folder / "output").mkdir(parents=True)
    (folder / "output" / "index.html").write_text("<p>Kilas", encoding="utf-8")
    run, outputs = _run_step(digest_step, tmp_path, folder)
    assert run.returncode == 0, run.stderr
    digest = outputs["digest"]
    assert digest == pipeline.site_digest(folder / "output")
    live = f"kilas-deployed-42-1-{digest}"
    for event, last, deploy in (
        ("schedule", live, "false"),
        ("schedule", "", "true"),
        ("push", live.replace(digest, "0" * 64), "true"),
        ("pull_request", "", "false"),
    ):
        run, outputs = _run_step(
            decide_step, tmp_path, EVENT=event, DIGEST=digest, LAST=last
        )
        assert run.returncode == 0, run.stderr
        assert outputs["deploy"] == deploy, (event, last)
    # No site: the step fails, no empty digest goes on.
    (folder / "output" / "index.html").unlink()
    (folder / "output").rmdir()
    run, outputs = _run_step(digest_step, tmp_path, folder)
    assert run.returncode != 0
    assert outputs == {}


def test_records_are_never_empty(jobs, tmp_path):
    _, suite = _running(jobs["suite"]["steps"], '"$FINGERPRINT" > "$RECORD"')
    _, deploy = _running(jobs["deploy"]["steps"], '"$DIGEST" > "$RECORD"')
    for step, name in ((suite, "FINGERPRINT"), (deploy, "DIGEST")):
        run, _ = _run_step(step, tmp_path, **{name: ""})
        assert run.returncode != 0
        run, _ = _run_step(step, tmp_path, **{name: "ab" * 32})
        assert run.returncode == 0
        assert (tmp_path / "record.txt").read_text() == "ab" * 32 + "\n"


def _order_script(jobs) -> str:
    _, step = _running(jobs["deploy"]["steps"], "last_run=")
    return step["run"]


@pytest.mark.parametrize(
    ("last", "newer"),
    [
        ("", "false"),  # the first deployment
        ("kilas-deployed-100-1-" + "a" * 64, "false"),  # an older run
        ("kilas-deployed-500-1-" + "a" * 64, "false"),  # this run, attempted again
        ("kilas-deployed-900-3-" + "a" * 64, "true"),  # a newer run
        ("kilas-deployed-nonsense", "false"),  # unreadable: deploy
    ],
)
def test_an_older_run_never_deploys_over_a_newer_one(jobs, tmp_path, last, newer):
    output = tmp_path / "output"
    run = subprocess.run(
        ["bash", "-e", "-c", _order_script(jobs)],
        env={**os.environ, "LAST": last, "RUN_ID": "500", "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert output.read_text() == f"newer={newer}\n"


# --- the same gate as `invoke gh-pages` ----------------------------------------------


def _workflow_commands(jobs) -> list[str]:
    steps = jobs["site"]["steps"]
    return [
        _running(steps, "kilas.build")[1]["run"],
        _running(steps, "invoke check-site")[1]["run"],
    ]


def _run_workflow_commands(jobs, project: Path) -> subprocess.CompletedProcess:
    """The site job's build and check steps, as GitHub runs them (bash -e)."""
    script = "\n".join(_workflow_commands(jobs))
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PAGES_BASE_URL": SITE_URL,
            "PAGES_BASE_PATH": "/kilas",
        },
    )


def test_the_workflow_commands_publish_a_good_site_and_check_it_incrementally(
    jobs, project
):
    first = _run_workflow_commands(jobs, project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "site check: 0 problems" in first.stdout
    assert (project / pipeline.CHECK_STATE).is_file()
    again = _run_workflow_commands(jobs, project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "changed since they last passed: 0 HTML, 0 XML" in again.stdout


ITEM = "content/items/2024/08/banjir-hancurkan-4000-rumah.md"


def test_what_the_workflow_refuses_gh_pages_refuses(jobs, tmp_path):
    """An item with a dead link and a theme that writes invalid HTML (an item's
    own HTML is sanitised): both gates refuse, and each names both problems
    (one run reports every problem)."""
    project = copy_project(tmp_path / "project")
    item = project / ITEM
    item.write_text(
        item.read_text(encoding="utf-8")
        + f"\nLihat [laporan lama]({SITE_URL}/2023/01/tidak-ada/).\n",
        encoding="utf-8",
    )
    notfound = project / "theme" / "templates" / "notfound.html"  # 404.html only
    template = notfound.read_text(encoding="utf-8")
    assert "{% block content %}" in template
    notfound.write_text(
        template.replace(
            "{% block content %}", "{% block content %}\n<p>Kilas</span></p>", 1
        ),
        encoding="utf-8",
    )
    reasons = (
        f'link: broken link: "{SITE_URL}/2023/01/tidak-ada/"',
        "html: Stray end tag “span”",
    )

    workflow = _run_workflow_commands(jobs, project)
    assert workflow.returncode != 0
    for reason in reasons:
        assert reason in workflow.stdout

    git = ["git", "-c", "user.name=Kilas", "-c", "user.email=kilas@example.org"]
    for args in (["init", "--quiet"], ["add", "-A"], ["commit", "--quiet", "-m", "x"]):
        subprocess.run([*git, *args], cwd=project, check=True, capture_output=True)
    local = subprocess.run(
        [
            sys.executable,
            "-m",
            "invoke",
            "gh-pages",
            "--siteurl",
            SITE_URL,
            "--no-push",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert local.returncode != 0
    assert "refusing to publish" in local.stderr
    for reason in reasons:
        assert reason in local.stderr
    branches = subprocess.run(
        ["git", "branch", "--list", "gh-pages"],
        check=True,
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert branches.stdout == ""  # nothing committed
