# The package itself: its version string.
import anklet

print(anklet.VERSION)
