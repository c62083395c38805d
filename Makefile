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

# Installs the udev rules (needs root): a dedicated group, the rules file, then reload and trigger.
.PHONY: install-udev
install-udev:
	getent group abi >/dev/null || sudo groupadd --system abi
	sudo install -m 0644 udev/70-abi-devices.rules /etc/udev/rules.d/70-abi-devices.rules
	sudo udevadm control --reload
	sudo udevadm trigger --subsystem-match=tty --action=add
	@echo "Done. Add yourself to the group abi: sudo usermod -aG abi $$USER (then log in again)."
