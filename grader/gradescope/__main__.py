import sys

from .image import main

sys.exit(main(sys.argv[1:]))
