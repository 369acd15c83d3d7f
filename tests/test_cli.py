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


def test_text_that_is_no_table_is_refused(cli, tmp_path):
    garbage = tmp_path / "garbage.dat"
    garbage.write_text("hello world\nthis is not a table\n")
    code, out, err = cli("info", garbage)
    assert code == 2 and out == "" and err.strip() == f"error: {garbage}: not a table of numbers: 0 numeric column(s) in 2"


def test_atom_probe_folder_says_folder(cli, tmp_path):
    rng = tmp_path / "r.rrng"
    rng.write_text("[Ions]\nNumber=1\nIon1=Fe\n[Ranges]\nNumber=1\nRange1=55.5 56.5 Vol:0.01 Fe:1 Color:FF0000\n")
    code, _, err = cli("composition", "--apt", tmp_path, "--ranges", rng)
    assert code == 2 and "is a directory" in err and "extension" not in err


def test_pos_with_a_nan_after_the_first_ions(tmp_path):
    import numpy as np

    from scprobe.errors import FormatError
    from scprobe.io.apt import read_ions

    ions = np.zeros((6000, 4), ">f4")
    ions[:, 3] = 27.0
    ions[5000, 0] = np.nan
    p = tmp_path / "x.pos"
    p.write_bytes(ions.tobytes())
    with pytest.raises(FormatError, match="ion 5001 has a non-finite x"):
        read_ions(p)
