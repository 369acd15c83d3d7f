"""The command-line contract shared by every command: one-line errors, exit codes, --version."""
import subprocess
import sys

import pytest

from scprobe import __version__


@pytest.mark.parametrize("args, needle", [
    (["info", "--bogus"], "No such option"),
    (["map"], "Missing argument"),
    (["nosuch"], "No such command"),
    (["info", "/nonexistent/file.bcrf"], "no such file"),
])
def test_usage_and_input_errors_are_one_line_exit_2(cli, args, needle):
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in err


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == __version__


def test_console_script_exit_code_through_a_real_process(tmp_path):
    empty = tmp_path / "empty.bcrf"
    empty.write_bytes(b"")
    res = subprocess.run([sys.executable, "-c", "from scprobe.cli import run; run()", "info", str(empty)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: {empty}: file is empty"
