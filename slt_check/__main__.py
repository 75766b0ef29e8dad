import sys

from slt_check.cli import main

sys.exit(main())
