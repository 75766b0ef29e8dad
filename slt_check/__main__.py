import sys

from slt_check.cli.main import main

sys.exit(main())
