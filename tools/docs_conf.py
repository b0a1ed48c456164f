# --- Appended by `make docs` (tools/docs_conf.py) to the conf.py of `antsibull-docs sphinx-init`. ---
# The site builds offline: no intersphinx inventory can be fetched. What antsibull-docs' pages
# reference in the Ansible documentation (a few labels, and ansible-core's ANSIBLE_* environment
# variables, from doc fragments such as the inventory cache's) resolves to its page on
# docs.ansible.com; any other unresolved reference stays a warning, and so an error of `make docs`.
intersphinx_mapping = {}
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_DOCS_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
}

# The Markdown guides of docs/, copied by `make docs` under docsite/guides/, are read with MyST and
# listed on the Guides page (docs/docsite/rst/guides.rst, the "Guides" section of the index).
extensions = [*globals().get("extensions", []), "myst_parser"]  # sphinx-init's list, above, and MyST
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3
GUIDES_PAGE = "docsite/guides"
# Where to start first, then every other guide (any added later too), alphabetically.
GUIDES_FIRST = ["quickstart", "phases", "access-model", "troubleshooting"]
GUIDES_TOCTREE = "\n\n.. toctree::\n   :maxdepth: 1\n   :glob:\n\n" + "".join(
    f"   guides/docs/{name}\n" for name in GUIDES_FIRST) + "   guides/docs/*\n"


def _ansible_docs_reference(app, env, node, contnode):
    from docutils import nodes

    kind, target = node.get("reftype"), node.get("reftarget", "")
    if kind == "ref" and target in ANSIBLE_DOCS_LABELS:
        uri = ANSIBLE_DOCS + ANSIBLE_DOCS_LABELS[target]
    elif kind == "envvar" and target.startswith("ANSIBLE_"):
        uri = f"{ANSIBLE_DOCS}reference_appendices/config.html#envvar-{target}"
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference += contnode
    return reference


def _guides_toctree(app, docname, source):
    if docname == GUIDES_PAGE:
        source[0] += GUIDES_TOCTREE


def setup(app):
    app.connect("missing-reference", _ansible_docs_reference)
    app.connect("source-read", _guides_toctree)
