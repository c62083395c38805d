# Shortcuts; the scripts work without make.
.PHONY: demo test bench fuzz
demo:
	bash scripts/demo
test:
	bash scripts/test
bench:
	bash scripts/bench
fuzz:
	bash scripts/fuzz
