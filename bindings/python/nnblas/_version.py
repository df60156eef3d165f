"""The binding's version. It is the release version of the C library it was written for
(meson.build's project version): at import the library's major and minor versions must match it."""
__version__ = "0.1.0"
