"""``invoke test --setup``: what the tests need from Debian (Chromium; Java
and npm when missing), installed with apt-get."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

from kilas.browser import chromium_path

logger = logging.getLogger(__name__)


def missing_packages() -> list[str]:
    """The Debian packages to install: none when everything is there."""
    try:
        packages = [] if os.path.exists(chromium_path()) else ["chromium"]
    except RuntimeError:
        packages = ["chromium"]
    if not shutil.which("java"):
        packages.append("default-jre-headless")
    if not shutil.which("npm"):
        packages.append("npm")
    return packages


def install_system_packages() -> list[str]:
    """Install the missing packages (through sudo unless root); return them."""
    packages = missing_packages()
    if not packages:
        return []
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", *packages], check=True, env=env
    )
    return packages
