"""What the six tutorial scripts share: data, command line, training loop, plots.

Importing this package first keeps TensorFlow's C++ start-up chatter off the
learner's screen; it changes nothing else.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
