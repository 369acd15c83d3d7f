"""``python -m scprobe``: the command line."""
from scprobe.cli import run

if __name__ == "__main__":
    run()
