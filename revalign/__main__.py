import sys

from revalign.cli import main

sys.exit(main())
