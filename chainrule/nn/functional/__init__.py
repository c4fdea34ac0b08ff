"""chainrule.nn.functional: the math of every layer, activation and loss (PyTorch names)."""
from .activation import *  # noqa: F401,F403
from .basic import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
