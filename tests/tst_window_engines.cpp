// The window's engine selector, to and from the engines of issue 16 (uring, libuv, asio-uring), and
// its kernel-timestamp split (issue 15): the toggle, the split plot and what it says where an engine
// has no split. One window for every row: another one would cost a pong child and seconds.
#include "controls_panel.h"
#include "log_slider_entry.h"
#include "main_window.h"
#include "peer_panel.h"
#include "plot_export.h"
#include "report_export.h"
#include "session_bridge.h"
#include "split_plot.h"
#include "widget_lookup.h"
#include "window_test_support.h"

#include <QtTest>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>

#include <cmath>
#include <functional>
#include <memory>

namespace {

// Index in `records` of the record carrying the change `key` = `value`, or records.size().
std::size_t changeAt(const std::vector<le::IntervalRecord>& records, const std::string& key,
                     const std::string& value) {
    std::size_t marked = records.size();
    for (std::size_t i = 0; i < records.size(); ++i)
        for (const auto& c : records[i].changes)
            if (c.key == key && c.value == value)
                marked = i;
    return marked;
}

// Waits until the records since `from` hold the change `key` = `value` and, after it, records for
// which `enough` says yes; returns those records after the change (a copy: the history may compact).
std::vector<le::IntervalRecord>
afterChange(MainWindow& w, std::size_t from, const std::string& key, const std::string& value,
            const std::function<bool(const std::vector<le::IntervalRecord>&)>& enough) {
    std::vector<le::IntervalRecord> after;
    (void)QTest::qWaitFor(
        [&] {
            const auto records = recordsSince(w, from);
            const std::size_t marked = changeAt(records, key, value);
            after.assign(records.begin() + std::ptrdiff_t(std::min(marked + 1, records.size())),
                         records.end());
            return marked < records.size() && enough(after);
        },
        10000);
    return after;
}

// The value graph `g` of `plot` holds at `key`, or -1 when it has no point there.
double valueAt(const QCustomPlot* plot, int g, double key) {
    const auto data = plot->graph(g)->data();
    const auto it = data->findBegin(key, false);
    return it != data->constEnd() && it->key == key ? it->value : -1;
}

} // namespace

class TestWindowEngines : public QObject {
    Q_OBJECT
    std::unique_ptr<MainWindow> m_window;

    void chooseEngine(const QString& engine) {
        QComboBox* box = child<PeerPanel>(m_window.get(), "peerPanel")->engineBox();
        const int index = box->findText(engine);
        QVERIFY2(index >= 0, qPrintable(engine));
        box->setCurrentIndex(index);
        emit box->activated(index); // what a user's pick emits
    }

private slots:
    void initTestCase() {
        qputenv("LATENCY_PONG", LE_PONG_PATH);
        m_window = std::make_unique<MainWindow>(childPeer());
        m_window->show();
        QVERIFY(waitRunning(*m_window));
    }
    void cleanupTestCase() { m_window.reset(); }

    void engineSwitchesMidRun() {
        // The engine selector restarts the data path with the new engine, to and from the io_uring and
        // libuv ones; each stretch measures (nothing lost, no errors) and the switch is marked on the
        // curves.
        MainWindow& w = *m_window;
        for (const QString& engine : {QStringLiteral("uring"), QStringLiteral("libuv"),
                                      QStringLiteral("asio-uring"), QStringLiteral("blocking")}) {
            const std::size_t before = w.bridge()->history()->intervals().size();
            chooseEngine(engine);
            QVERIFY2(QTest::qWaitFor(
                         [&] {
                             return w.bridge()->state() == SessionBridge::State::Running &&
                                    le::to_string(w.bridge()->config().engine) == engine.toStdString();
                         },
                         10000),
                     qPrintable(engine));
            // Two intervals of the new engine, after the one that carries the switch.
            const auto records = afterChange(w, before, "engine", engine.toStdString(),
                                             [](const auto& after) { return after.size() >= 2; });
            QVERIFY2(records.size() >= 2, qPrintable(engine));
            const le::IntervalRecord& r = records.back();
            QVERIFY2(r.received > 0, qPrintable(engine));
            QCOMPARE(r.lost, 0u);
            QCOMPARE(r.errors, 0u);
        }
    }

    void kernelSplit() {
        // Off by default: no split plot, the window as it always was.
        MainWindow& w = *m_window;
        auto* peer = child<PeerPanel>(&w, "peerPanel");
        auto* split = child<SplitPlot>(&w, "splitPlot");
        auto* box = child<QCheckBox>(peer, "kernelTimestampsBox");
        QVERIFY(!box->isChecked());
        QVERIFY(split->isHidden());

        // Blocking engine over UDP, at 5k msg/s: ~170 samples an interval, so that p50s are drawn (20)
        // even at a third of the pace on a busy machine, and p99s never are (1000).
        w.stopMeasuring();
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 5000);
        peer->setTransport(le::Transport::Udp);
        child<ControlsPanel>(&w, "controlsPanel")->rate()->setValue(QStringLiteral("5k"));
        chooseEngine(QStringLiteral("blocking"));
        w.startMeasuring();
        QVERIFY(waitRunning(w));

        // Toggled on while running: the data path restarts with the split (marked), the plot shows.
        std::size_t before = w.bridge()->history()->intervals().size();
        box->click();
        QVERIFY(box->isChecked());
        QVERIFY(split->isVisible());
        // A p50 is drawn from 20 samples on: wait for three intervals with that many. The peer is the
        // window's pong child, started with the split to report its residence: four parts.
        const auto drawn = [](const le::IntervalRecord& r) {
            return r.has_peer_split() && r.split.send.count >= 20 && r.split.pong.count >= 20;
        };
        auto records = afterChange(w, before, "kernel-timestamps", "on", [&](const auto& after) {
            return std::count_if(after.begin(), after.end(), drawn) >= 3;
        });
        QVERIFY2(std::count_if(records.begin(), records.end(), drawn) >= 3, "no split records");
        QCOMPARE(le::to_string(w.bridge()->config().transport), std::string_view("udp"));
        w.refreshPlots(true);
        QCOMPARE(split->graphCount(), 4);
        QVERIFY2(split->title().contains(QLatin1String("p50")), qPrintable(split->title()));
        QVERIFY(box->styleSheet().isEmpty()); // the split works: nothing to explain
        int checked = 0;
        for (const le::IntervalRecord& r : records) {
            if (!drawn(r))
                continue;
            // The stack's layers end at send, + network, + pong, + wake.
            const double send = r.split.send.p50_us, network = r.split.network.p50_us,
                         pong = r.split.pong.p50_us, wake = r.split.wake.p50_us;
            QVERIFY(send > 0 && pong > 0 && wake > 0);
            QCOMPARE(valueAt(split, 0, r.t_s), send);
            QCOMPARE(valueAt(split, 1, r.t_s), send + network);
            QCOMPARE(valueAt(split, 2, r.t_s), send + network + pong);
            QCOMPARE(valueAt(split, 3, r.t_s), send + network + pong + wake);
            ++checked;
        }
        QVERIFY(checked >= 3);

        // Exported as every plot is: a picture (the one export helper) and its series as drawn.
        QTemporaryDir dir;
        QString error;
        QVERIFY2(PlotExport::save(split, dir.filePath("split.png"), {}, 1.0, &error), qPrintable(error));
        QVERIFY(QImage(dir.filePath("split.png")).size() == split->size());
        QVERIFY2(ReportExport::save(split, dir.filePath("split.svg"), {}, w.exportConditions(), &error),
                 qPrintable(error));
        QFile svg(dir.filePath("split.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("wake p50"));
        QCOMPARE(w.exportPlotData(dir.path()), QString());
        QFile csv(dir.filePath("split.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QByteArray rows = csv.readAll();
        QVERIFY(rows.startsWith("series,t_s,us\n"));
        for (const char* part : {"\"send p50", "\"network p50", "\"pong p50", "\"wake p50"})
            QVERIFY2(rows.contains(part), part);

        // p99 view: lines, drawn only where an interval holds 1000 samples (none at 5k msg/s).
        auto* p99 = child<QAction>(&w, "splitP99Action");
        QVERIFY(p99->isVisible());
        p99->setChecked(true);
        w.refreshPlots(true);
        QVERIFY(split->title().contains(QLatin1String("p99")));
        QCOMPARE(split->graph(3)->brush().style(), Qt::NoBrush);
        for (const le::IntervalRecord& r : records) {
            if (r.has_split() && r.split.wake.count < 1000)
                QVERIFY(std::isnan(valueAt(split, 3, r.t_s)));
        }
        QVERIFY2(split->graph(3)->name().contains(QStringLiteral("needs ≥ 1000")),
                 qPrintable(split->graph(3)->name()));
        p99->setChecked(false);

        // A transport without a split (unix stream sockets get no kernel timestamps): the window says
        // why, in the records' words.
        w.stopMeasuring();
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 5000);
        peer->setTransport(le::Transport::Unix);
        before = w.bridge()->history()->intervals().size();
        w.startMeasuring();
        QVERIFY(waitRunning(w));
        QVERIFY(QTest::qWaitFor([&] { return recordsSince(w, before).size() >= 2; }, 10000));
        records = recordsSince(w, before);
        QVERIFY(!records.empty());
        const std::string why = records.back().split_available;
        QVERIFY2(why.rfind("no: ", 0) == 0 && why.rfind("no: not asked", 0) != 0, why.c_str());
        w.refreshPlots(true);
        QVERIFY(split->isVisible());
        QVERIFY2(split->title().contains(QString::fromStdString(why)), qPrintable(split->title()));
        QVERIFY(box->styleSheet().contains(QLatin1String("#d32f2f"))); // the toggle in red, and why
        QVERIFY2(box->toolTip().startsWith(QStringLiteral("Kernel split: ") + QString::fromStdString(why)),
                 qPrintable(box->toolTip()));

        // Off: the plot goes, the records say the split was not asked for.
        before = w.bridge()->history()->intervals().size();
        box->click();
        QVERIFY(split->isHidden());
        QVERIFY(box->styleSheet().isEmpty());
        records = afterChange(w, before, "kernel-timestamps", "off",
                              [](const auto& after) { return !after.empty(); });
        QVERIFY(!records.empty());
        QVERIFY(!records.back().has_split());
        QVERIFY(records.back().split_available.rfind("no: not asked", 0) == 0);
    }
};

int main(int argc, char** argv) {
    return runWindowSuite<TestWindowEngines>(argc, argv);
}
#include "tst_window_engines.moc"
