"""Allow ``python -m schemadoctor``."""

from schemadoctor.cli import run

if __name__ == "__main__":
    run()
