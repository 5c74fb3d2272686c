"""The real SDK in a git checkout: the run's remote and commit reach Outpost (upsertBucket and
wandb-metadata.json), a GitHub remote as its web address, and the run page links the commit."""

from tests.wandb_sdk.test_runs import unique

SCRIPT = """
import subprocess, wandb

def git(*args):
    subprocess.run(["git", "-c", "user.name=Bob", "-c", "user.email=bob@example.test",
                    *args], check=True, capture_output=True)

git("init", "-q")
git("remote", "add", "origin", "https://ci-bot:ghp_secret@github.com/acme/vision.git")
git("add", "train.py")
git("commit", "-q", "-m", "first")
sha = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
run = wandb.init(project="{project}", entity="lab")
run.log({{"loss": 1.0}})
run.finish()
print(run.id, sha.strip())
"""


def test_the_sdk_sends_remote_and_commit(run_newest_sdk, outpost):
    project = unique("git")
    result = run_newest_sdk(SCRIPT.format(project=project))
    assert result.returncode == 0, result.output
    run_id, sha = result.stdout.strip().splitlines()[-1].split()
    run = outpost.ok(f"/teams/lab/projects/{project}/runs/{run_id}")
    assert run["git_commit"] == sha
    assert run["git_remote"] == "https://github.com/acme/vision"  # the token is not kept
