"""TEMPORARY: until the C vocabulary lands."""
from ._args import choice
from .net import ACTIVATIONS, INITS, OPTIMIZERS, _ACTIVATION_NAMES

_TABLES = {"activation": (ACTIVATIONS, _ACTIVATION_NAMES),
           "init": (dict(INITS, he=2, xavier=1, normal=0), {0: "normal_fanin", 1: "xavier_uniform", 2: "he_normal", 3: "orthogonal"}),
           "optimizer": (OPTIMIZERS, {0: "sgd", 1: "momentum", 2: "nesterov", 3: "adam", 4: "adamw", 5: "rmsprop", 6: "lm"})}


def canonical(kind, value, what):
    table, names = _TABLES[kind]
    return names[choice(table, value, what)]
