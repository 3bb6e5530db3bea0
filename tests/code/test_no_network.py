"""No network access at run time, and nothing from an input file is executed.

Every stage's code runs here with name resolution and outbound connections to anything but the loopback
interface made to fail loudly: extract, validate (great-expectations, whose analytics would post to the
internet if enabled), generate, audit (GX again), train, evaluate-style prediction and `symcause predict`.
"""

from __future__ import annotations

import ipaddress
import json
import socket

import pytest
import yaml

from symcause.cli import main

ATTEMPTS: list[str] = []


def _loopback(host: object) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch):
    """Outbound connections and DNS lookups of non-loopback hosts raise (and are recorded)."""
    ATTEMPTS.clear()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if isinstance(address, tuple) and not _loopback(host):
            ATTEMPTS.append(str(address))
            raise OSError(f"network access attempted at run time: {address}")

    def connect(self, address):
        guard(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            ATTEMPTS.append(f"dns {host}")
            raise socket.gaierror(f"network access attempted at run time: lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.delenv("GX_ANALYTICS_ENABLED", raising=False)  # the stages must switch analytics off themselves
    yield ATTEMPTS


def test_the_guard_catches_a_connection(no_network):
    with pytest.raises(OSError, match="network access attempted"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    assert no_network


def test_every_stage_runs_without_the_network(no_network, root, tmp_path, capsys):
    from symcause.core.params import load_params
    from symcause.core.tables import read_tables
    from symcause.core.vocab import cached_vocab
    from symcause.knowledge.estimate import build_knowledge
    from symcause.model.training import run_train
    from symcause.quality.audit import AuditSettings, run_audit

    facts = tmp_path / "facts"
    assert main(["extract", str(root / "data" / "sources"), "--out", str(facts), "--quiet"]) == 0
    assert main(["validate", "--facts", str(facts), "--reports", str(tmp_path / "validation")]) == 0
    vignettes = tmp_path / "vignettes.parquet"
    assert main(["generate", "--facts", str(facts), "--n", "3000", "--seed", "5", "--out", str(vignettes),
                 "--quiet"]) == 0
    # splits of a few hundred rows cannot hold the per-split category-share bounds of a full run (the audit's own
    # hint says so); this test is about the network, so those bounds are widened here
    run_audit(vignettes, facts, tmp_path / "audit",
              AuditSettings(min_split_category_share=0.02, max_split_category_share=0.45))
    assert json.loads((tmp_path / "audit" / "report.json").read_text())["rows"] == 3000
    params = load_params(root / "params.yaml")
    tables = read_tables(facts)
    knowledge = tmp_path / "knowledge.parquet"
    build_knowledge(tables["conditions"], tables["facts"], tables["factors"], cached_vocab(),
                    params.knowledge).to_parquet(knowledge)
    p = params.train.model_copy(update={"max_iter": 3000})
    model = tmp_path / "model.skops"
    run_train(vignettes, model, p, knowledge=knowledge, prior=params.knowledge.prior)   # the blend of params.yaml
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": 1, "text": "Burning pain down the back of my leg into the foot."}) + "\n")
    assert main(["predict", "--in", str(cases), "--out", str(tmp_path / "pred.jsonl"), "--model", str(model)]) == 0
    assert no_network == []


def test_inputs_are_data_never_code(tmp_path, capsys):
    """YAML tags that would build Python objects are refused; a model file with a callable it does not
    trust is refused by skops before anything in it runs."""
    from symcause.core.errors import BadInputError
    from symcause.core.params import load_params

    marker = tmp_path / "pwned"
    bad = tmp_path / "params.yaml"
    bad.write_text(f"generate: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    with pytest.raises(BadInputError):
        load_params(bad)
    assert not marker.exists()

    import skops.io as sio

    model = tmp_path / "evil.skops"
    sio.dump({"f": eval}, model)  # a builtin it would call: untrusted
    cases = tmp_path / "c.jsonl"
    cases.write_text('{"id": 1, "text": "knee pain"}\n')
    assert main(["predict", "--in", str(cases), "--out", str(tmp_path / "o.jsonl"), "--model", str(model)]) == 2
    assert "untrusted" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_vocabulary_yaml_refuses_python_tags(tmp_path):
    from symcause.core.errors import BadInputError
    from symcause.core.vocab import load_yaml

    f = tmp_path / "v.yaml"
    f.write_text("x: !!python/name:os.system\n", encoding="utf-8")
    with pytest.raises((BadInputError, yaml.YAMLError)):
        load_yaml(f)
