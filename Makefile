# The two commands of the README:
#   make run   — install what is missing, build, and run `gzca serve` on the embedded default
#   make test  — install what is missing, build, and run the whole test suite
BUILD_DIR ?= build
DATA_DIR  ?= var
JOBS      ?= $(shell nproc)

.PHONY: run test build deps deps-test configure format clean bench bench-platform

run: deps build
	./$(BUILD_DIR)/gzca serve --data-dir $(DATA_DIR)

test: deps-test build
	scripts/run-tests.sh $(BUILD_DIR)

deps:
	scripts/install-deps.sh build

deps-test:
	scripts/install-deps.sh test

configure:
	@test -f $(BUILD_DIR)/build.ninja || cmake -S . -B $(BUILD_DIR) -G Ninja \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

bench: build
	scripts/install-deps.sh bench
	bench/run.sh $(BUILD_DIR)

# The subscriber platform under 200 sessions, and a 10 MB upload's memory (bench/platform.sh).
bench-platform: build
	scripts/install-deps.sh bench
	bench/platform.sh $(BUILD_DIR)

format:
	find src fuzz bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
