# The two commands in the README, and a few more for developers.
.PHONY: run test bench lint

run:   ## build and serve on http://127.0.0.1:3000
	@.ci/serve

test:  ## every test: unit, API on Postgres, browser
	@.ci/test

bench: ## incident page vs pgbench on the same SQL; insights vs the SQL they run
	@.ci/bench

lint:
	cargo fmt --check
	cargo clippy --all-targets --features ssr -- -D warnings
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
