"""The small exception family: raised where the fault is found, shown as one clear line at the edge."""


class QAError(Exception):
    """Base class for every error the product reports to a user."""


class LoadError(QAError):
    """An article file could not be read; the message is the reason."""


class IndexMissingError(QAError):
    """There is no index where one was expected."""


class IndexMismatchError(QAError):
    """The index was built with settings (e.g. embedding model) that differ from the current ones."""


class ConfigError(QAError):
    """A setting has an invalid value."""
