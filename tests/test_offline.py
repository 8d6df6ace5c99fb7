"""Offline runtime: labs makes TextAttack work with no network and no pre-existing caches."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("offline_textattack_attack.py")


def test_textattack_attack_runs_without_network(tmp_path):
    assert shutil.which("unshare") and shutil.which("ip"), "needs util-linux unshare and iproute2 ip"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TA_", "NLTK", "TRANSFORMERS"))}
    # A brand-new cache and home: the shims must create everything they need, offline.
    env.update(HOME=str(tmp_path / "home"), LABS_CACHE_DIR=str(tmp_path / "cache"))
    command = f"ip link set lo up && exec {sys.executable} {SCRIPT}"
    result = subprocess.run(["unshare", "-n", "sh", "-c", command], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AttackResult ->" in result.stdout
    assert (tmp_path / "cache" / "nltk_data" / "corpora" / "stopwords" / "english").exists()


def test_there_is_really_no_network_in_the_namespace():
    """The namespace test above means something only if a connection out really fails there."""
    probe = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)"
    result = subprocess.run(["unshare", "-n", "sh", "-c", f"ip link set lo up && {sys.executable} -c \"{probe}\""],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "unreachable" in result.stderr.lower() or "OSError" in result.stderr


def test_offline_environment_is_set_on_import():
    import labs  # noqa: F401

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        assert os.environ[name] == "1"
    marker = Path(os.environ["TA_CACHE_DIR"]) / "post_install_check_3"
    assert marker.exists()
    assert any((Path(p) / "corpora" / "stopwords" / "english").exists()
               for p in os.environ["NLTK_DATA"].split(os.pathsep))


def test_unusable_cache_setting_falls_back_to_a_writable_directory(tmp_path, monkeypatch):
    from labs.offline import cache_dir

    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    monkeypatch.setenv("LABS_CACHE_DIR", str(not_a_directory / "cache"))
    chosen = cache_dir()
    assert chosen != not_a_directory / "cache"
    assert chosen.is_dir() and os.access(chosen, os.W_OK)
