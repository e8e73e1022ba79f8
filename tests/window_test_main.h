#pragma once

// main() for the window suites: the user's remembered settings (and recovery file) stay out of the
// tests, and the tests' out of theirs.
#include <QApplication>
#include <QTemporaryDir>
#include <QTest>

#define LE_WINDOW_TEST_MAIN(TestClass)                                                                       \
    int main(int argc, char** argv) {                                                                        \
        QTemporaryDir config;                                                                                \
        qputenv("XDG_CONFIG_HOME", config.path().toUtf8());                                                  \
        QApplication app(argc, argv);                                                                        \
        QApplication::setOrganizationName("latency-explorer-tests");                                         \
        TestClass t;                                                                                         \
        return QTest::qExec(&t, argc, argv);                                                                 \
    }
