"""Allow ``python -m schemadoctor``."""

from schemadoctor.cli import main

if __name__ == "__main__":
    main()
