# MentorMeMed — the two commands a newcomer needs are `make up` and `make test` (see README.md).
.PHONY: up demo down test test-fast check migrate bench

up:            ## install, migrate, start gateway + 6 APIs + 6 workers on loopback
	./scripts/bootstrap.sh
	.venv/bin/mmm up

demo:          ## as `up`, then load the demo data and print the logins
	./scripts/bootstrap.sh
	.venv/bin/mmm up --demo

down:          ## stop what `make up` started
	.venv/bin/mmm down

test:          ## the whole test suite against real PostgreSQL and RabbitMQ
	./scripts/test.sh

test-fast:     ## the rules and use-case tests only, each in a transaction rolled back at its end
	./scripts/test.sh --fast

check:         ## are PostgreSQL and RabbitMQ reachable?
	./scripts/bootstrap.sh
	.venv/bin/mmm check

bench:         ## the event backbone benchmark (JSON figures)
	./scripts/bootstrap.sh
	.venv/bin/python benchmarks/events.py
