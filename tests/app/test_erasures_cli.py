"""`eventfold erasures`: after a backup from before an erasure is restored, `apply` with the list of
erased customers (printed by `list` before restoring) erases them again."""

import shutil
import subprocess
from pathlib import Path

import pytest

from app.settings import Settings
from app.web import create_app
from domain.events import ERASED
from tests.app.test_serve import EVENTFOLD, environment
from tests.conftest import serving

REGISTER = """mutation($name: String!) {
  registerCustomer(input: {name: $name, email: "x@example.com"}) { customer { id } }
}"""
ERASE = "mutation($id: ID!) { eraseCustomer(id: $id) { customer { id } events { position } } }"
NAME = "query($id: ID!) { customer(id: $id) { name erased } }"


def eventfold(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([EVENTFOLD, *args], env=environment(settings), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_erasures_made_after_a_backup_are_made_again_once_it_is_restored(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = Path(settings.data_dir)
    # A fresh server catches up from a restored store: give it time on a busy machine.
    settings = settings.model_copy(update={"read_your_writes_seconds": 15.0})
    async with serving(create_app(settings)) as graphql:
        ann, bob = [
            (await graphql.data(REGISTER, name=name))["registerCustomer"]["customer"]["id"]
            for name in ("Ann", "Bob")
        ]
        await graphql.data(ERASE, id=bob)
    backup = tmp_path_factory.mktemp("backup") / "data"
    shutil.copytree(data, backup)
    async with serving(create_app(settings)) as graphql:
        await graphql.data(ERASE, id=ann)
    erased = tmp_path_factory.mktemp("erased") / "erased.txt"
    erased.write_text(eventfold(settings, "erasures", "list").stdout)
    assert erased.read_text().split() == [bob, ann]

    shutil.rmtree(data)
    shutil.copytree(backup, data)
    assert eventfold(settings, "erasures", "list").stdout.split() == [bob]
    applied = eventfold(settings, "erasures", "apply", str(erased))

    assert f"erased {ann}" in applied.stdout
    assert f"erased {bob}" not in applied.stdout
    assert eventfold(settings, "erasures", "list").stdout.split() == [bob, ann]
    async with serving(create_app(settings)) as graphql:
        # Two registrations, two erasures: read once the read models applied them all.
        graphql.position = 4
        assert (await graphql.data(NAME, id=ann))["customer"] == {"name": ERASED, "erased": True}
