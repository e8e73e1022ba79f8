#pragma once
// What the window suites share: a window measuring against its own pong child, and its records.
#include "main_window.h"
#include "session_bridge.h"
#include "window_options.h"

#include <QtTest>

#include <QApplication>
#include <QTemporaryDir>

#include <vector>

// Intervals recorded after `from`, as the window sees them.
inline std::vector<le::IntervalRecord> recordsSince(const MainWindow& w, std::size_t from) {
    const auto& all = w.bridge()->history()->intervals();
    return {all.begin() + std::ptrdiff_t(std::min(from, all.size())), all.end()};
}

inline WindowOptions childPeer(le::Transport t = le::Transport::Tcp) {
    return childPeerOptions(t);
}

inline bool waitRunning(MainWindow& w) {
    return QTest::qWaitFor([&] { return w.bridge()->state() == SessionBridge::State::Running; }, 10000);
}

// The main() of a window suite: the user's remembered settings are kept out of the tests, and the
// tests' out of theirs.
template <class Suite> int runWindowSuite(int argc, char** argv) {
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
    QApplication app(argc, argv);
    QApplication::setOrganizationName("latency-explorer-tests");
    Suite suite;
    return QTest::qExec(&suite, argc, argv);
}
