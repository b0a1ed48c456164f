"""Stand-in for ansible-test's get-pip bootstrap script, using only the package registry.

ansible-test creates each sanity virtualenv without pip and then runs a cached
`get-pip.py` that it downloads from ci-files.testing.ansible.com, which is not reachable
here. This script is placed in that cache (see the Makefile's `sanity` target) and does
the same job from PyPI: bootstrap pip with the interpreter's bundled ensurepip, then let
pip install the exact pip/setuptools/wheel versions ansible-test asked for. Nothing else
about the sanity run changes: ansible-test still pins and installs every test tool.
"""

import subprocess
import sys

# get-pip.py options with no `pip install` equivalent; ansible-test passes them to say
# "do not add these packages", which plain `pip install` already honours.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    # In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in its own environment,
    # which would hide this machine's pip configuration (index, certificates) from the install below.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    main()
