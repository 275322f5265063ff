"""``python -m fth``: the fth command."""

from fth.main import fth_console

if __name__ == "__main__":
    fth_console()
