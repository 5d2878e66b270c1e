# The app package's docstring-only __init__ imports on both.
import anklet.app

print(anklet.app.__name__)
