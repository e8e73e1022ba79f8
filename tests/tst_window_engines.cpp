// The window's engine selector, to and from the engines of issue 16 (uring, libuv, asio-uring).
#include "main_window.h"
#include "peer_panel.h"
#include "session_bridge.h"
#include "widget_lookup.h"
#include "window_test_support.h"

#include <QtTest>

#include <QApplication>
#include <QComboBox>
#include <QTemporaryDir>

class TestWindowEngines : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { qputenv("LATENCY_PONG", LE_PONG_PATH); }

    void engineSwitchesMidRun() {
        // The engine selector restarts the data path with the new engine, to and from the io_uring and
        // libuv ones; each stretch measures (nothing lost, no errors) and the switch is marked on the
        // curves.
        MainWindow w(childPeer());
        w.show();
        QVERIFY(waitRunning(w));
        QComboBox* box = child<PeerPanel>(&w, "peerPanel")->engineBox();
        for (const QString& engine : {QStringLiteral("uring"), QStringLiteral("libuv"),
                                      QStringLiteral("asio-uring"), QStringLiteral("blocking")}) {
            const int index = box->findText(engine);
            QVERIFY2(index >= 0, qPrintable(engine));
            const std::size_t before = w.bridge()->history()->intervals().size();
            box->setCurrentIndex(index);
            emit box->activated(index); // what a user's pick emits
            QVERIFY2(QTest::qWaitFor(
                         [&] {
                             return w.bridge()->state() == SessionBridge::State::Running &&
                                    le::to_string(w.bridge()->config().engine) == engine.toStdString();
                         },
                         10000),
                     qPrintable(engine));
            // Two intervals of the new engine, after the one that carries the switch.
            QVERIFY2(QTest::qWaitFor(
                         [&] {
                             const auto records = recordsSince(w, before);
                             std::size_t marked = records.size();
                             for (std::size_t i = 0; i < records.size(); ++i)
                                 for (const auto& c : records[i].changes)
                                     if (c.key == "engine" && c.value == engine.toStdString())
                                         marked = i;
                             return records.size() >= marked + 3;
                         },
                         10000),
                     qPrintable(engine));
            const std::vector<le::IntervalRecord> records = recordsSince(w, before); // a copy: keep it
            const le::IntervalRecord& r = records.back();
            QVERIFY2(r.received > 0, qPrintable(engine));
            QCOMPARE(r.lost, 0u);
            QCOMPARE(r.errors, 0u);
        }
    }
};

int main(int argc, char** argv) {
    return runWindowSuite<TestWindowEngines>(argc, argv);
}
#include "tst_window_engines.moc"
