"""Make `ansible_collections.ssoshift.identity_center` importable for plain pytest.

The unit tests run from the installed copy of the collection
(<collections>/ansible_collections/ssoshift/identity_center/tests/unit), so the collections
root is four levels above this folder; amazon.aws comes from the `ansible` package.
"""

import os
import sys

import ansible_collections  # the namespace package that holds amazon.aws

COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
OURS = os.path.join(COLLECTIONS_ROOT, "ansible_collections")
if OURS not in ansible_collections.__path__:
    ansible_collections.__path__.append(OURS)
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
