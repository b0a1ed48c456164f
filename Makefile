# ssoshift.identity_center — developer entry points.
#   make demo   set up, start the sandbox, run playbooks/migrate.yml against it, stop it
#   make test   lint + sanity + docs lint + Galaxy importer + unit + integration + molecule
#   make docs   the documentation site (build/docs/html); make release: changelog + checked tarball
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUILD := build
COLLECTIONS := $(abspath $(BUILD)/collections)
INSTALLED := $(COLLECTIONS)/ansible_collections/ssoshift/identity_center
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
SANITY_ROOT := $(abspath $(BUILD)/sanity/ansible_collections/ssoshift/identity_center)
TARBALL := $(BUILD)/dist/ssoshift-identity_center-$(VERSION).tar.gz
SANDBOX_DIR ?= $(BUILD)/sandbox
DEMO_SANDBOX := $(BUILD)/demo-sandbox
DOCS := $(abspath $(BUILD)/docs)
COLLECTION := $(shell sed -n 's/^namespace: *//p' galaxy.yml).$(shell sed -n 's/^name: *//p' galaxy.yml)
ACCESS_MODEL ?= examples/access-model.yml
# Integration tests spend much of their time waiting (on polls, the simulator's delays, ansible-playbook start-up):
# three workers keep two cores busy.
PYTEST_WORKERS ?= 3

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_ROLES_PATH := $(abspath roles)
export ANSIBLE_FORCE_COLOR ?= false
export PYTHONDONTWRITEBYTECODE := 1
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv install chromium report-example lint sanity docs-lint importer units integration molecule test checks docs release \
	bench bench-identity bench-org demo \
	sandbox-start sandbox-stop clean

help:
	@echo "make demo           full migration against the local sandbox AWS endpoint"
	@echo "make test           ansible-lint, ansible-test sanity, docs lint, Galaxy importer, unit, integration, molecule"
	@echo "make sandbox-start  start the sandbox (env file: $(SANDBOX_DIR)/sandbox.env)"
	@echo "make sandbox-stop   stop the sandbox started by sandbox-start"
	@echo "make install        build and install the collection into $(COLLECTIONS)"
	@echo "make docs           the documentation site with antsibull-docs and Sphinx ($(DOCS)/html)"
	@echo "make release        changelog for $(VERSION) (antsibull-changelog), tarball, tarball checks"
	@echo "make chromium       Debian's Chromium for the report's browser test, where missing"
	@echo "make report-example the example report and the screenshot in docs/report.png"
	@echo "make bench          account-assignment and identity benchmarks (docs/performance.md)"
	@echo "make bench-identity the identity benchmark alone (BENCH_SCENARIO=assignments for the other)"
	@echo "make bench-org      the whole migration at 10, 40, 100 and 300 accounts (BENCH_SIZES=\"10 40\" for fewer)"

# The venv is rebuilt whenever the pinned requirements change. pip would byte-compile every file it installs, on one
# core (46 of the install's 63 s here), the `ansible` package's 15,000 files of collections this repo never imports
# among them: compileall compiles the rest on every core instead (PYTHONDONTWRITEBYTECODE is set above, so nothing
# else writes bytecode).
$(VENV)/.installed: test-requirements.txt requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r test-requirements.txt
	$(BIN)/python -m compileall -q -j 0 -x '/ansible_collections/(?!amazon/|ansible/posix/)' \
	  $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	touch $@

venv: $(VENV)/.installed

install: venv
	rm -rf $(BUILD)/dist $(INSTALLED)
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist . >/dev/null
	$(BIN)/ansible-galaxy collection install --force --no-deps --offline -p $(COLLECTIONS) $(TARBALL) >/dev/null
	@echo "installed ssoshift.identity_center $(VERSION) into $(COLLECTIONS)"

lint: install
	$(BIN)/ansible-lint

# ansible-test bootstraps pip in each sanity venv with a get-pip.py it downloads from a host
# that is not reachable here; tools/ansible_test_get_pip.py does the same from PyPI (see it).
# ansible-test also refuses to run while ~/.aws exists; nothing in this repo creates it.
# ansible-test runs on a plain copy of the source under ansible_collections/ssoshift/identity_center
# with a git repo of its own (an installed copy with MANIFEST.json, or a folder inside this
# repo, where build/ is ignored, makes it skip every target).
sanity: venv
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(SANITY_ROOT)
	git -C $(SANITY_ROOT) init --quiet  # its own repo: inside ours, build/ is ignored
	# ansible-test finds dependencies (amazon.aws doc fragments, module_utils) beside the collection.
	mkdir -p $(SANITY_ROOT)/../../amazon
	cp -a $$($(BIN)/python -c 'import ansible_collections.amazon.aws as m; print(m.__path__[0])') $(SANITY_ROOT)/../../amazon/aws
	pip_version=$$($(BIN)/python -c 'from ansible_test._internal.python_requirements import get_venv_packages as g; print(g(type("P", (), {"version": "3.11"})())["pip"])'); \
	  mkdir -p ~/.ansible/test/cache; \
	  cp tools/ansible_test_get_pip.py ~/.ansible/test/cache/get_pip_$${pip_version//./_}.py
	cd $(SANITY_ROOT) && ansible-test sanity --python 3.11 --color no

units: install
	cd $(INSTALLED) && $(abspath $(BIN))/python -m pytest tests/unit -q -p no:cacheprovider

# Debian's Chromium for the report's browser test, installed where missing (tools/install_chromium.sh; the test
# is skipped, saying why, where it cannot be installed).
chromium:
	tools/install_chromium.sh

# The example report of docs/report.md and its screenshot (docs/report.png), from tools/report_example.py.
report-example: venv chromium
	$(BIN)/python tools/report_example.py --out $(BUILD)/report-example --screenshot docs/report.png

integration: install chromium
	$(BIN)/python -m pytest tests/integration -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder

# Molecule's default scenario: the migration roles on localhost against a sandbox it starts
# (create) and stops (destroy), with molecule's idempotence stage.
molecule: install
	cd extensions && NO_COLOR=1 molecule test

# What Galaxy, Automation Hub and the docs site render: antsibull-docs lints every plugin's and role's
# documentation (schema, markup, references) and docs/docsite/ on the installed copy (the tarball's
# files); tools/return_docs.py checks that RETURN describes every dictionary and list (contains).
docs-lint: install
	antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs dependent \
	  --disallow-unknown-collection-refs --check-extra-docs-refs $(INSTALLED)
	$(BIN)/python tools/return_docs.py $(COLLECTION)

# Galaxy's importer on the built tarball, offline (tools/galaxy-importer.cfg says what runs), after
# the tarball check (no test output, build folder, virtualenv, cache or secret).
importer: install
	$(BIN)/python tools/check_tarball.py $(TARBALL)
	$(BIN)/python tools/galaxy_importer.py $(TARBALL) --workdir $(BUILD)/importer

# The integration tests are the long suite (about 12 minutes on two cores, most of it ansible-playbook and module
# start-up): the other suites run beside them, one at a time (make -j2; each one's output printed whole when it
# ends). Molecule starts a sandbox of its own, so it never shares one with the integration workers. On a fresh
# machine the virtualenv (pip) and Chromium (apt) are installed side by side first: both mostly wait on downloads.
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target venv chromium
	$(MAKE) --no-print-directory -j2 --output-sync=target integration checks
	@echo "make test: all suites passed"

checks: lint sanity docs-lint importer units molecule

# The documentation site, as the community collections build theirs: `antsibull-docs sphinx-init`
# scaffolds the Sphinx project, tools/docs_conf.py adds what this site needs (offline references, the
# Markdown guides of docs/), `antsibull-docs collection` writes the RST of every plugin and role, and
# Sphinx builds it with warnings as errors.
docs: install
	rm -rf $(DOCS) && mkdir -p $(DOCS)
	antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir $(DOCS) \
	  --project $(COLLECTION) --copyright "ssoshift maintainers" --title "$(COLLECTION) $(VERSION)" \
	  --html-short-title $(COLLECTION) $(COLLECTION) >/dev/null
	{ echo; echo; cat tools/docs_conf.py; } >> $(DOCS)/conf.py
	mkdir -p $(DOCS)/rst && chmod og-w $(DOCS)/rst
	antsibull-docs --config-file $(DOCS)/antsibull-docs.cfg collection --use-current --squash-hierarchy \
	  --fail-on-error --dest-dir $(DOCS)/rst $(COLLECTION) >/dev/null
	# The guides, with the files they link to, where docs/docsite/rst/guides.rst's toctree finds them.
	mkdir -p $(DOCS)/rst/docsite/guides/docs
	cp docs/*.md docs/*.json $(DOCS)/rst/docsite/guides/docs/
	cp -r examples $(DOCS)/rst/docsite/guides/
	sphinx-build -W --keep-going -q -b html -c $(DOCS) $(DOCS)/rst $(DOCS)/html
	@echo "documentation site: $(DOCS)/html/index.html"

# A release of the version in galaxy.yml: the changelog from changelogs/fragments (antsibull-changelog
# writes changelogs/changelog.yaml and CHANGELOG.rst and removes the fragments; commit the result),
# then the tarball, checked: only committed files (and the changelog), no test output, build folder,
# virtualenv or secret. Run again for the same version, it adds new fragments to that release.
release: install
	antsibull-changelog lint
	antsibull-changelog release --version $(VERSION) --reload-plugins
	rm -rf $(BUILD)/dist
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist . >/dev/null
	$(BIN)/python tools/check_tarball.py $(TARBALL) --source . --generated CHANGELOG.rst \
	  --generated changelogs/changelog.yaml --require CHANGELOG.rst --require COPYING --changelog-version $(VERSION)
	@echo "release $(VERSION): $(TARBALL); commit changelogs/ and CHANGELOG.rst"


# Benchmarks (docs/performance.md): account assignments, and users / groups / permission sets; figures, not
# pass/fail. BENCH_SCENARIO=assignments|identity|all (default all).
BENCH_SCENARIO ?= all
bench: install
	$(BIN)/python tests/performance/bench.py --scenario $(BENCH_SCENARIO) --json $(BUILD)/bench.json

# The whole migration at 10, 40, 100 and 300 accounts (docs/performance.md); matplotlib draws the plot and is
# installed here only, not for the tests.
bench-org: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "matplotlib==3.11.2"
	$(BIN)/python tests/performance/bench_org.py --json $(BUILD)/bench-org.json --plot docs/performance-org.png \
	  $(if $(BENCH_SIZES),--sizes $(BENCH_SIZES),)

bench-identity: install
	$(BIN)/python tests/performance/bench.py --scenario identity --json $(BUILD)/bench-identity.json

sandbox-start: venv
	$(BIN)/python tools/sandbox.py start --dir $(SANDBOX_DIR)

sandbox-stop: venv
	$(BIN)/python tools/sandbox.py stop --dir $(SANDBOX_DIR)

# A private sandbox per demo run; the trap stops it however the playbook ends.
# The estate predates centralized root access: its member accounts' root users hold credentials, which the demo
# removes centrally (root_account_remove_member_root_credentials, opt-in elsewhere).
demo: install
	rm -rf out/demo
	$(BIN)/python tools/sandbox.py start --dir $(DEMO_SANDBOX) --root-credentials
	trap '$(BIN)/python tools/sandbox.py stop --dir $(DEMO_SANDBOX)' EXIT; \
	  source $(DEMO_SANDBOX)/sandbox.env; \
	  demo_vars=(-e @$(ACCESS_MODEL) -e ssoshift_output_dir=$(abspath out/demo) \
	    -e cli_profiles_operator_config_path=$(abspath out/demo)/operator-aws-config -e confirm_portal_sign_in=true \
	    -e root_account_remove_member_root_credentials=true); \
	  echo "== 1/2 the whole migration (the operator's portal sign-in confirmed: legacy users are disabled)"; \
	  timeout 900 $(BIN)/ansible-playbook playbooks/migrate.yml "$${demo_vars[@]}"; \
	  echo "== 2/2 a later run once the quarantine is over (quarantine_days=0 here): legacy users are deleted"; \
	  timeout 900 $(BIN)/ansible-playbook playbooks/migrate.yml "$${demo_vars[@]}" \
	    -e iam_user_retirement_quarantine_days=0 --tags retire,report

clean:
	-$(BIN)/python tools/sandbox.py stop --dir $(SANDBOX_DIR)
	rm -rf $(BUILD) out tests/output
