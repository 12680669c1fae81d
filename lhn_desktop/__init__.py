"""LHN Desktop: an offline workstation for care-center improvement teams.

This module holds the version only and imports nothing heavy, so that ``lhn-desktop --version``
and the first window stay fast.
"""

__version__ = "0.1.0"
APP_NAME = "LHN Desktop"
APP_ID = "lhn_desktop"
