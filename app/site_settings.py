"""This PC's settings with the site configuration laid over them: a setting the practice's site file sets
reads as the site's value whatever the user file or the command line says, and cannot be changed here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TypeVar

from app import settings
from app.services.site_config import SiteConfig

log = logging.getLogger(__name__)
T = TypeVar("T")
SET_BY_PRACTICE = "set by your practice"


class SiteSettings(settings.Settings):
    """Settings whose site-set values win; changing one of those is refused quietly (logged), so code
    that remembers a typed value (e.g. the sign-in form's server) keeps working with the site's."""

    def __init__(self, path: Path, site: SiteConfig) -> None:
        self.site = site
        super().__init__(path)

    def locked(self, setting: settings.Setting[Any] | str) -> bool:
        key = setting.key if isinstance(setting, settings.Setting) else setting
        return key in self.site.values

    def get(self, setting: settings.Setting[T] | str) -> T:
        key = setting.key if isinstance(setting, settings.Setting) else setting
        if key in self.site.values:
            return self.site.values[key]  # type: ignore[no-any-return]
        return super().get(setting)

    def set(self, setting: settings.Setting[T] | str, value: T) -> None:
        if self.locked(setting):
            key = setting.key if isinstance(setting, settings.Setting) else setting
            log.info("Setting %s is %s; the new value is not used", key, SET_BY_PRACTICE)
            return
        super().set(setting, value)

    def reset(self, setting: settings.Setting[Any] | str) -> None:
        if not self.locked(setting):
            super().reset(setting)

    def problems(self) -> list[str]:
        return list(self.site.problems) + super().problems()


def load(site: SiteConfig, path: Path | None = None) -> SiteSettings:
    """This PC's settings file (by default the data folder's) under ``site``."""
    from app import paths

    return SiteSettings(path if path is not None else paths.settings_path(), site)
