"""Where training data and runs live: outside the checkout, so a fresh clone of the
repository (a new session, CI) finds the fetched data and the checkpoints of a run that
stopped, and `--resume` goes on from them. `$STYLIZE_TRAINING_CACHE` overrides the default
`$XDG_CACHE_HOME/stylize` (`~/.cache/stylize`)."""
import os

CACHE = os.environ.get("STYLIZE_TRAINING_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "stylize")
DATA = os.path.join(CACHE, "training-data")   # fetch_data.py's output: paintings, photos, VGG16
RUNS = os.path.join(CACHE, "training")        # one folder per preset and variant: checkpoints, logs
