import sys

from grader.gradescope.image import main

sys.exit(main(sys.argv[1:]))
