# Shared by ./run and ./test: install what is missing (apt-get, through sudo when not root), then
# configure and build. Sourced, not run. Everything is skipped when already done, so a second run
# only checks and rebuilds what changed.

# What ./run needs to build and run the programs (the window, latency-ping, latency-pong; ping for the
# sweeps' ICMP baseline, ssh for agents started over SSH; zlib for interval logs, help2man for the
# man pages).
LE_RUN_PACKAGES=(cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
    libasio-dev liburing-dev libuv1-dev libfmt-dev libcli11-dev nlohmann-json3-dev libssl-dev zlib1g-dev
    help2man
    iputils-ping openssh-client)
# What ./test adds: a display server for the GUI suites, Google Benchmark, network namespaces, an
# sshd for the SSH suites, clang and its run-time for the fuzzers, clang-format for the source check,
# Java and HdrHistogram's Java library (the interval-log reference), dpkg-dev for the .deb test.
LE_TEST_PACKAGES=(xvfb xauth libbenchmark-dev iproute2 openssh-server sockperf
    clang libclang-rt-14-dev clang-format default-jdk-headless libhdrhistogram-java dpkg-dev
    poppler-utils)

le_root_cmd() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# le_install_missing PACKAGE...: installs those of the named packages that are not installed yet.
le_install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
        echo "error: missing packages (${missing[*]}) and no sudo to install them; run as root." >&2
        return 1
    fi
    le_root_cmd apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive le_root_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" || return 1
}

# le_configure DIR [cmake args...]: configures DIR once (later builds reuse it).
le_configure() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" || return 1
    fi
}

# le_build DIR [cmake args...]
le_build() {
    local dir=$1
    le_configure "$@" || return 1
    cmake --build "$dir" -j "$(nproc)" || return 1
}
