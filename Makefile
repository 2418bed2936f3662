# The two commands that set up everything on a fresh Debian machine with a Rust
# toolchain: `make demo` and `make test`. Both install missing system packages.

CARGO ?= cargo
DEMO_DIR ?= ./tocsin-demo
DEMO_LISTEN ?= 127.0.0.1:8443

# Debian packages the build and the tests need.
SYSTEM_PACKAGES := pkg-config libsystemd-dev openssl

.PHONY: demo test lint unit bench deps build release

deps:
	@scripts/install-packages $(SYSTEM_PACKAGES)

build: deps
	$(CARGO) build --locked

release: deps
	$(CARGO) build --locked --release

demo: release
	./target/release/tocsin demo --data-dir $(DEMO_DIR) --listen $(DEMO_LISTEN)

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

unit: deps
	$(CARGO) test --locked --all-targets

test: lint unit

bench: deps
	$(CARGO) bench --locked --bench http
