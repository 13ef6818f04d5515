"""Where one user's Excel looks for the add-in, its settings and its helpers, on Windows and Mac.

A `Machine` is the platform, the home folder, the environment and the readers of what only
Windows has (registry policies, the Mark of the Web). Everything `addin install`, `uninstall` and
`doctor` touch is derived from it, so tests on Linux exercise the Windows and Mac layouts in a
fake home folder. The folders are the ones Excel and xlwings use:

- Windows: the add-in in `%APPDATA%\\Microsoft\\Excel\\XLSTART` (what Excel's
  `Application.StartupPath` gives and `xlwings addin install` copies to); the per-user settings in
  `%USERPROFILE%\\.hybridbudget\\hybridbudget.conf` (xlwings' `GetConfigFilePath`);
- Mac: the add-in in `~/Library/Group Containers/UBF8T346G9.Office/User Content/Startup/Excel`
  (each node may carry a `.localized` suffix); the settings in Excel's sandbox,
  `~/Library/Containers/com.microsoft.Excel/Data/hybridbudget.conf`; xlwings' AppleScript helper
  in `~/Library/Application Scripts/com.microsoft.Excel`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..errors import HybridBudgetError

WINDOWS, MAC = "windows", "mac"
ADDIN_FILE = "HybridBudget.xlam"
CONF_FILE = "hybridbudget.conf"
LOG_ENV = "HYBRIDBUDGET_ADDIN_LOG"
OFFICE_GROUP = "UBF8T346G9.Office"
EXCEL_SANDBOX = "com.microsoft.Excel"

Registry = Callable[[str, str], object | None]  # (key such as "HKCU\\Software\\...", value name)


def this_platform(platform: str = sys.platform) -> str:
    if platform.startswith("win"):
        return WINDOWS
    return MAC if platform == "darwin" else platform


def read_registry(key: str, value: str) -> object | None:
    """A registry value on Windows (HKCU or HKLM); None where it is absent or not Windows."""
    if not sys.platform.startswith("win"):
        return None
    import winreg

    hive, _, sub = key.partition("\\")
    roots = {"HKCU": winreg.HKEY_CURRENT_USER, "HKLM": winreg.HKEY_LOCAL_MACHINE}
    try:
        with winreg.OpenKey(roots[hive], sub) as k:
            return winreg.QueryValueEx(k, value)[0]
    except OSError:
        return None


def read_zone(path: Path) -> int | None:
    """The ZoneId of a file's Mark of the Web (3: Internet); None without one or off Windows."""
    if not sys.platform.startswith("win"):
        return None
    try:
        text = Path(f"{path}:Zone.Identifier").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip().lower() == "zoneid" and value.strip().isdigit():
            return int(value.strip())
    return None


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class Machine:
    """One user's computer as the add-in sees it (every part injectable for tests)."""

    platform: str  # WINDOWS, MAC or another sys.platform name (no Excel there)
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    python: Path = Path(sys.executable)
    python_version: tuple[int, int, int] = sys.version_info[:3]
    registry: Registry = read_registry
    zone: Callable[[Path], int | None] = read_zone
    versions: Callable[[str], str | None] = package_version
    managed_preferences: Path = Path("/Library/Managed Preferences")  # Mac policies

    @classmethod
    def current(cls) -> Machine:
        return cls(this_platform(), Path.home(), dict(os.environ))

    @classmethod
    def fake(cls, platform: str, home: Path, **kw: object) -> Machine:
        """Another platform's layout inside `home` (no registry, no zones, its own env)."""
        kw.setdefault("registry", lambda key, value: None)
        kw.setdefault("zone", lambda path: None)
        kw.setdefault("managed_preferences", home / "Managed Preferences")
        return cls(platform, Path(home), **kw)  # type: ignore[arg-type]

    @property
    def has_excel(self) -> bool:
        return self.platform in (WINDOWS, MAC)

    def require_excel(self) -> None:
        if not self.has_excel:
            raise HybridBudgetError(
                f"Excel add-ins install on Windows and Mac, and this is {self.platform} (to try "
                "a layout: --platform windows|mac --home DIR)"
            )
        if not self.home.is_dir():
            raise HybridBudgetError(f"{self.home}: the home folder does not exist")

    def _env_path(self, name: str, *default: str) -> Path:
        value = self.env.get(name)
        return Path(value) if value else self.home.joinpath(*default)

    @property
    def startup_folder(self) -> Path:
        """The folder whose add-ins Excel opens when it starts."""
        if self.platform == WINDOWS:
            return self._env_path("APPDATA", "AppData", "Roaming") / "Microsoft/Excel/XLSTART"
        office = self.home / "Library/Group Containers" / OFFICE_GROUP
        folder = office
        for node in ("User Content", "Startup"):  # Office may add ".localized" to each
            localized = folder / f"{node}.localized"
            folder = localized if localized.is_dir() else folder / node
        return folder / "Excel"

    @property
    def addin_path(self) -> Path:
        return self.startup_folder / ADDIN_FILE

    @property
    def user_conf(self) -> Path:
        """The per-user settings file xlwings reads for our project name."""
        if self.platform == WINDOWS:
            return self._env_path("USERPROFILE") / ".hybridbudget" / CONF_FILE
        return self.home / "Library/Containers" / EXCEL_SANDBOX / "Data" / CONF_FILE

    @property
    def applescript_folder(self) -> Path | None:
        """Mac: where Excel's sandbox lets AppleScriptTask find xlwings' helper script."""
        if self.platform != MAC:
            return None
        return self.home / "Library/Application Scripts" / EXCEL_SANDBOX

    @property
    def state_folder(self) -> Path:
        """~/.hybridbudget: the log and the record of what `addin install` wrote."""
        return self.home / ".hybridbudget"

    @property
    def log_path(self) -> Path:
        """The add-in's log file: $HYBRIDBUDGET_ADDIN_LOG, or ~/.hybridbudget/addin.log."""
        value = self.env.get(LOG_ENV)
        return Path(value) if value else self.state_folder / "addin.log"

    @property
    def interpreter_key(self) -> str:
        return "INTERPRETER_MAC" if self.platform == MAC else "INTERPRETER_WIN"

    def expand(self, value: str) -> str:
        """A setting as xlwings expands it: %VAR% on Windows, a leading $HOME on the Mac."""
        if self.platform == WINDOWS:
            for name, var in self.env.items():
                value = value.replace(f"%{name}%", var)
            return value.replace("%USERPROFILE%", str(self.home))
        if value.startswith("$HOME"):
            return str(self.home) + value[len("$HOME") :]
        return value


# --- xlwings' per-user settings file: lines "KEY","VALUE" (VBA's Write #) -----------------------


def conf_encoding(platform: str) -> str:
    """VBA's Input # reads the ANSI code page on Windows (cp1252 for Western locales)."""
    return "cp1252" if platform == WINDOWS else "utf-8"


def read_conf(path: Path, platform: str) -> dict[str, str]:
    """The settings of an xlwings .conf file (key -> value, keys upper-cased)."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    text = path.read_bytes().decode(conf_encoding(platform), errors="replace")
    for line in text.splitlines():
        parts = [p.strip().strip('"') for p in line.split('","', 1)]
        if len(parts) == 2 and parts[0]:
            out[parts[0].upper()] = parts[1]
    return out


def write_conf(path: Path, settings: Mapping[str, str], platform: str) -> None:
    """Write settings as VBA's Write # does on that platform (quotes, line ends, code page)."""
    from ..workbook.fileio import atomic_save

    newline = "\r\n" if platform == WINDOWS else "\n"
    for key, value in settings.items():
        if '"' in key + value:
            raise HybridBudgetError(f"{key}: a setting cannot hold a double quote ({value!r})")
    text = "".join(f'"{k}","{v}"{newline}' for k, v in settings.items())
    try:
        data = text.encode(conf_encoding(platform))
    except UnicodeEncodeError as exc:
        raise HybridBudgetError(
            f"{path}: {text[exc.start : exc.end]!r} cannot be written in the code page Excel "
            "reads this file in; install hybridbudget in a folder with a plain name"
        ) from exc
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(data))
