from __future__ import annotations

import json
import shutil

import pytest

from grader.core import assignment as assignments
from grader.core.errors import AssignmentError


def test_builtins_load_with_their_conventions():
    assert assignments.builtin_names() == ["cs498dl_nn", "fc_nets", "softmax", "two_layer_net"]
    assert assignments.load("two_layer_net").regularization == "reg*sum(W**2)"
    assert assignments.load("fc_nets").regularization == "0.5*reg*sum(W**2)"
    dl = assignments.load("cs498dl_nn")
    assert "models/neural_net.py" in dl.submit and dl.notebooks == ("neural_network.ipynb",)


@pytest.mark.parametrize("name", ["two_layer_net", "fc_nets", "cs498dl_nn", "softmax"])
def test_declared_files_exist_and_to_json_is_plain(name):
    a = assignments.load(name)
    for rel in a.submit + a.notebooks:
        assert (a.root / rel).is_file(), rel
    assert json.loads(json.dumps(a.to_json()))["name"] == name


def test_load_by_path(tmp_path):
    src = assignments.load("fc_nets").root
    shutil.copytree(src, tmp_path / "mine")
    assert assignments.load(tmp_path / "mine").name == "fc_nets"


def test_unknown_name_lists_builtins():
    with pytest.raises(AssignmentError, match="built-ins: cs498dl_nn, fc_nets, softmax, two_layer_net"):
        assignments.load("svm")


@pytest.mark.parametrize("text,message", [
    ("[assignment]\nname='x'\n", "missing required key 'title'"),
    ("[assignment]\nname='x'\ntitle='t'\nregularization='reg'\nsubmit=[]\n", "regularization must be one of"),
    ("[assignment]\nname='x'\ntitle='t'\nregularization='reg*sum(W**2)'\nsubmit=[]\n[limits]\ntime_limit=3\n",
     r"\[limits\]: unknown key\(s\) \['time_limit'\]"),
    ("[assignment\n", "invalid TOML"),
    ("[assignment]\nname=3\ntitle='t'\nregularization='reg*sum(W**2)'\nsubmit=[]\n", "'name' must be a str"),
])
def test_invalid_toml_is_a_clear_error(tmp_path, text, message):
    (tmp_path / "assignment.toml").write_text(text)
    with pytest.raises(AssignmentError, match=message) as info:
        assignments.load(tmp_path)
    assert info.value.exit_code == 5
