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


class DocumentError(QAError):
    """An uploaded document cannot be added; the message says why and what to send instead."""


class UnsupportedDocumentType(DocumentError):
    """An upload's file type is not one the loaders read."""


class DocumentConflict(DocumentError):
    """The change clashes with what is already there (an exact duplicate, an article inside a collection file)."""


class DocumentNotFound(QAError):
    """No article in the index has the given id."""


class IndexBusyError(QAError):
    """Another ingest holds the index's writer lock."""


class FetchError(QAError):
    """A web page, feed or sitemap could not be fetched or read; the message names the URL and why."""


class UnsafeURLError(FetchError):
    """A URL was refused before any connection: not http(s), or it leads to an address that is not public."""


class SourceNotFound(QAError):
    """No followed source has the given URL or id."""
