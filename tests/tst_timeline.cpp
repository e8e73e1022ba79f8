// Live numbers a person can trust, as the window shows them: the curves' window rule in the plot
// data a script gets, the readout's window, the markers of the timeline (stop, restart, peer lost,
// New Run back at 0, notes), and where the window's own pong child may run.
#include "cpu_affinity.h"
#include "main_window.h"
#include "own_children.h"
#include "peer_panel.h"
#include "pong_server.h"
#include "session_bridge.h"
#include "session_file.h"
#include "status_readout.h"
#include "timeline_test_support.h"
#include "widget_lookup.h"
#include "window_options.h"

#include <QtTest>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <csignal>

namespace {

WindowOptions childPeer() {
    return childPeerOptions();
}

bool waitState(MainWindow& w, SessionBridge::State state) {
    return QTest::qWaitFor([&] { return w.bridge()->state() == state; }, 10000);
}

bool waitIntervals(MainWindow& w, std::size_t n) {
    return QTest::qWaitFor([&] { return w.bridge()->history()->intervals().size() >= n; }, 10000);
}

WindowOptions inProcess() {
    WindowOptions o;
    o.inProcess = true;
    return o;
}

// Shows the window and waits until its live run has a few records.
bool showMeasuring(MainWindow& w) {
    w.show();
    return waitState(w, SessionBridge::State::Running) && waitIntervals(w, 5);
}

// The labels of the live run's markers, in order.
QStringList markerLabels(const MainWindow& w) {
    QStringList out;
    for (const auto& m : w.bridge()->history()->markers())
        out << QString::fromStdString(m.value);
    return out;
}

// CSV rows (comment lines skipped) as maps from the header's names to the cells.
QList<QMap<QString, QString>> readCsv(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    lines.removeIf([](const QString& l) { return l.startsWith('#'); });
    if (lines.isEmpty())
        return {};
    const QStringList header = lines.takeFirst().split(',');
    QList<QMap<QString, QString>> rows;
    for (const QString& line : std::as_const(lines)) {
        const QStringList cells = line.split(',');
        QMap<QString, QString> row;
        for (int i = 0; i < header.size(); ++i)
            row[header[i]] = cells.value(i);
        rows << row;
    }
    return rows;
}

} // namespace

class TestTimeline : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        qputenv("LATENCY_PONG", LE_PONG_PATH);
    }

    void plotDataFromTheCommandLine();
    void readoutShowsTheHistogramWindow();
    void markersAtStopRestartPeerLossAndNewRun();
    void startRightAfterPeerLossKeepsItsSummary();
    void peerGoneWhileStoppingIsAStop();
    void sweepPointsAreMarked();
    void measureAgainstFromIdleIsMarked();
    void notesAreSavedAndExported();
    void windowSettingIsRemembered();
    void pongChildPlacementIsReadBack();

private:
    QTemporaryDir m_dir;
};

void TestTimeline::plotDataFromTheCommandLine() {
    // 6 s at 1k msg/s. Open loop keeps the schedule whatever the load of the test machine (closed
    // loop skips the slots a late echo missed), so a 1 s window holds its 1,000 samples: p99 has
    // its 10 samples above, p99.9 (which needs 10,000) has not.
    const QString png = m_dir.filePath("run.png"), dir = m_dir.filePath("plot-data");
    QProcess p;
    p.start(LE_EXPLORER_PATH, {"-platform", "offscreen", "--rate", "1k", "--open-loop", "--screenshot", png,
                               "--after", "6s", "--plot-data", dir, "--kernel-timestamps"});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const auto curves = readCsv(dir + "/curves.csv");
    QVERIFY2(curves.size() >= 100, qPrintable(QString::number(curves.size()))); // ~30 per second
    int distinct = 0;
    for (const auto& row : curves) {
        QCOMPARE(row["run"], QStringLiteral("live"));
        QVERIFY2(row["p99.9"].isEmpty(), "p99.9 needs a 10 s window at 1k msg/s");
        QVERIFY2(row["window_s"].toDouble() < 1.2, qPrintable(row["t_s"] + " " + row["window_s"]));
        const auto samples = row["samples"].toULongLong();
        // Drawn exactly where the window holds 10 samples above it.
        QCOMPARE(!row["p99"].isEmpty(), samples > 0 && le::percentile_drawn(samples, 99));
        QCOMPARE(!row["p50"].isEmpty(), samples >= 20);
        if (!row["p99"].isEmpty() && row["p99"].toDouble() < row["max"].toDouble())
            ++distinct;
    }
    QVERIFY2(distinct > curves.size() / 2,
             qPrintable(QStringLiteral("%1 of %2").arg(distinct).arg(curves.size())));
    // The other plots, as drawn, say their window the same way.
    const auto histogram = readCsv(dir + "/histogram.csv");
    QVERIFY(!histogram.isEmpty());
    QVERIFY(histogram.front()["series"].contains("last 1 s"));
    QVERIFY(!readCsv(dir + "/distribution.csv").isEmpty());
    // --kernel-timestamps reached the window: the split plot was shown and drew every interval of its
    // three parts (a gap, or a positive time where the run split its round trips).
    QFile split(dir + "/split.csv");
    QVERIFY(split.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = split.readAll().trimmed().split('\n');
    QCOMPARE(rows.front(), QByteArray("series,t_s,us"));
    QVERIFY2(rows.size() > 3 * 100, qPrintable(QString::number(rows.size()))); // 3 parts, ~30 per second
    for (const QByteArray& row : rows.mid(1)) {
        const QByteArray us = row.mid(row.lastIndexOf(',') + 1);
        QVERIFY2(us.isEmpty() || us.toDouble() > 0, row.constData());
    }
}

void TestTimeline::readoutShowsTheHistogramWindow() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitState(w, SessionBridge::State::Running));
    QVERIFY(waitIntervals(w, 45));
    auto* state = child<QLabel>(&w, "readoutState");
    auto* percentiles = child<QLabel>(&w, "readoutPercentiles");
    QTRY_VERIFY(state->text().contains("last 1 s"));
    w.stopMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Idle));
    // Once the data stops the readout says so, and shows the window the histogram shows.
    QTRY_VERIFY(state->text().contains("stopped"));
    QTest::qWait(200); // a refresh after the last record
    const le::Histogram& window = w.bridge()->history()->window();
    QVERIFY(window.count() >= 300);
    const auto at = [&](double p) {
        return StatusReadout::latency(double(window.value_at_percentile(p)) / 1e3);
    };
    QCOMPARE(percentiles->text(),
             QStringLiteral("p50 %1 p99 %2 p99.9 — max %3")
                 .arg(at(50), le::percentile_drawn(window.count(), 99) ? at(99) : QStringLiteral("—"),
                      StatusReadout::latency(double(window.max()) / 1e3)));
    const auto& totals = w.bridge()->history()->totals();
    QVERIFY(
        child<QLabel>(&w, "readoutCounts")->text().startsWith(QStringLiteral("sent %1").arg(totals.sent)));
    QCOMPARE(StatusReadout::latency(850), QStringLiteral("850 µs"));
    QCOMPARE(StatusReadout::latency(1250), QStringLiteral("1.25 ms"));
    QCOMPARE(StatusReadout::bitRate(51.2e6), QStringLiteral("51.2 Mb/s"));
    QCOMPARE(StatusReadout::bitRate(1.6e9), QStringLiteral("1.60 Gb/s"));
}

void TestTimeline::markersAtStopRestartPeerLossAndNewRun() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitState(w, SessionBridge::State::Running));
    QVERIFY(waitIntervals(w, 10));
    QCOMPARE(markerLabels(w), QStringList({"start"}));

    w.stopMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Idle));
    QTRY_COMPARE(markerLabels(w), QStringList({"start", "stop"}));
    QVERIFY2(w.bridge()->history()->curve().back().gap(), "no line joins across a stop");

    // An engine switch restarts the data path: one "restart" marker and the change.
    w.startMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Running));
    std::size_t n = w.bridge()->history()->intervals().size();
    QVERIFY(waitIntervals(w, n + 10));
    QComboBox* engine = child<PeerPanel>(&w, "peerPanel")->engineBox();
    engine->setCurrentIndex(1);
    emit engine->activated(1); // as a user's choice in the list does
    QTRY_COMPARE_WITH_TIMEOUT(markerLabels(w).join(' '), QStringLiteral("start stop start restart"), 10000);
    QVERIFY(waitState(w, SessionBridge::State::Running));
    n = w.bridge()->history()->intervals().size();
    QVERIFY(waitIntervals(w, n + 5));
    const auto changes = w.bridge()->history()->changes();
    QVERIFY(std::any_of(changes.begin(), changes.end(),
                        [](const le::ParamChange& c) { return c.key == "engine"; }));

    // Peer loss.
    const QList<qint64> pongs = ownChildren("latency-pong");
    QCOMPARE(pongs.size(), 1);
    ::kill(pid_t(pongs.front()), SIGKILL);
    QVERIFY(waitState(w, SessionBridge::State::Lost));
    QTRY_COMPARE(markerLabels(w).last(), QStringLiteral("peer lost"));
    const double lostAt = w.bridge()->history()->markers().back().t_s;
    QVERIFY(lostAt > 0.5);

    // New Run while measuring: the clock is back at 0.
    n = w.bridge()->history()->intervals().size();
    w.startMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Running));
    QVERIFY(waitIntervals(w, n + 10)); // past the warm-up: records flowing
    w.bridge()->clearHistory();
    QCOMPARE(markerLabels(w), QStringList({"new run"}));
    QVERIFY(waitIntervals(w, 5));
    const auto& fresh = w.bridge()->history()->intervals();
    QVERIFY2(fresh.front().t_s < 0.1, qPrintable(QString::number(fresh.front().t_s)));
    QVERIFY(fresh[4].t_s < 0.3);
    QVERIFY(w.bridge()->elapsedSeconds() < 1.0);
    // The new run keeps the session's conditions, and its one segment is what came after the cut.
    const auto history = w.bridge()->history();
    QVERIFY(history->info().count("engine") && !history->info().at("engine").empty());
    QVERIFY(history->info().count("peer") && !history->info().at("peer").empty());
    w.stopMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Idle));
    QTRY_COMPARE(history->segments().size(), std::size_t{1});
    const auto& segment = history->segments().front();
    QCOMPARE(segment.first, std::size_t{0});
    QCOMPARE(segment.end, history->intervals().size());
    QCOMPARE(segment.summary.received, history->totals().received);
    QCOMPARE(segment.summary.received, history->whole_run().count());
}

// A start asked for while the lost session still hands in its last records waits for them: the
// lost session keeps its segment and summary, and the counts of the two sessions add up to the run's.
void TestTimeline::startRightAfterPeerLossKeepsItsSummary() {
    MainWindow w(inProcess());
    QVERIFY(showMeasuring(w));
    w.bridge()->peerLost(QStringLiteral("cut by the test"));
    w.startMeasuring(); // the same turn of the event loop: the lost session has not finished yet
    QVERIFY(waitState(w, SessionBridge::State::Running));
    const auto history = w.bridge()->history();
    QCOMPARE(history->segments().size(), std::size_t{1});
    const std::size_t n = history->intervals().size();
    QVERIFY(waitIntervals(w, n + 5));
    w.stopMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Idle));
    QTRY_COMPARE(history->segments().size(), std::size_t{2});
    const auto& segments = history->segments();
    QCOMPARE(segments[0].first, std::size_t{0});
    QCOMPARE(segments[1].first, segments[0].end);
    QCOMPARE(segments[1].end, history->intervals().size());
    QVERIFY(segments[0].summary.received > 0 && segments[1].summary.received > 0);
    QCOMPARE(segments[0].summary.received + segments[1].summary.received, history->totals().received);
    QCOMPARE(segments[0].summary.sent + segments[1].summary.sent, history->totals().sent);
    QCOMPARE(markerLabels(w), QStringList({"start", "peer lost", "start", "stop"}));
}

// Stop stops the pong child too: the peer going away while the session stops is the stop's doing,
// not a peer lost (soak_window saw "peer lost" after Stop, with 100 tasks slowing the session's end).
void TestTimeline::peerGoneWhileStoppingIsAStop() {
    MainWindow w(childPeer());
    QVERIFY(showMeasuring(w));
    // Busy cores, as in the soak: the session's threads are slow to see their stop.
    QCOMPARE(w.bridge()->apply(QStringLiteral("tasks"), QStringLiteral("100")), QString());
    QTest::qWait(500);
    const QList<qint64> pongs = ownChildren("latency-pong");
    QCOMPARE(pongs.size(), 1);
    w.bridge()->stop();
    ::kill(pid_t(pongs.front()), SIGKILL); // before the session has seen its stop
    QVERIFY2(waitState(w, SessionBridge::State::Idle), qPrintable(w.bridge()->stateText()));
    QCOMPARE(markerLabels(w), QStringList({"start", "stop"}));
}

// A sweep from the Sweep tab takes over from the live run: "sweep" where it began, a marker per
// point where it was measured (the clock runs on meanwhile), "sweep end", and the live run's
// restart after it, at least the points' measured time later.
void TestTimeline::sweepPointsAreMarked() {
    MainWindow w(inProcess());
    QVERIFY(showMeasuring(w));
    SweepTab* tab = w.sweepTab();
    setUpShortSweep(tab, "200,1k", false, m_dir.filePath("marked-sweep.json"));
    QSignalSpy points(tab, &SweepTab::pointFinished);
    QSignalSpy done(tab, &SweepTab::finished);
    QCOMPARE(tab->start(), QString());
    QVERIFY(done.wait(30000));
    QCOMPARE(points.size(), 2);
    QVERIFY(waitState(w, SessionBridge::State::Running)); // live measuring is back
    double measured = 0;
    for (const QList<QVariant>& p : std::as_const(points))
        measured += p.at(0).value<le::SweepPointResult>().duration_s;

    const MarkerSpan span = markersFrom(w, "sweep");
    const std::vector<double>& t = span.t;
    QCOMPARE(span.keys.join(','), QStringLiteral("sweep,sweep point,sweep point,sweep end,start"));
    QCOMPARE(span.labels.mid(1, 2), QStringList({"sweep: blocking/udp/0 tasks/64 B 200/s",
                                                 "sweep: blocking/udp/0 tasks/64 B 1k/s"}));
    QVERIFY(t[1] >= t[0] && t[2] >= t[0] && t[1] <= t[3] && t[2] <= t[3] && t[3] <= t[4]);
    QVERIFY2(t[4] - t[0] >= measured, qPrintable(QStringLiteral("restart %1 s after the sweep marker; "
                                                                "its points measured %2 s")
                                                     .arg(t[4] - t[0])
                                                     .arg(measured)));
}

// "Measure against this" while stopped: the data resumes against the new peer after a "start"
// marker and a "peer" change naming it.
void TestTimeline::measureAgainstFromIdleIsMarked() {
    MainWindow w(inProcess());
    QVERIFY(showMeasuring(w));
    w.stopMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Idle));
    le::PongConfig pc;
    pc.listen = {le::parse_endpoint("udp://127.0.0.1:0")};
    const auto pong = le::start_pong(pc);
    const le::Endpoint peer = pong->endpoints().front();
    const std::size_t n = w.bridge()->history()->intervals().size();
    w.measureAgainst(peer);
    QVERIFY(waitState(w, SessionBridge::State::Running));
    QVERIFY(waitIntervals(w, n + 5));
    QCOMPARE(markerLabels(w), QStringList({"start", "stop", "start"}));
    const auto changes = w.bridge()->history()->changes();
    QVERIFY(std::any_of(changes.begin(), changes.end(),
                        [&](const le::ParamChange& c) { return c.key == "peer" && c.value == peer.url(); }));
}

void TestTimeline::notesAreSavedAndExported() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitState(w, SessionBridge::State::Running));
    QVERIFY(waitIntervals(w, 10));
    w.addNote(QStringLiteral("cache warm"));
    const double at = w.bridge()->history()->markers().back().t_s;
    QVERIFY(at > 0.2);
    QVERIFY(waitIntervals(w, 20));
    const QString session = m_dir.filePath("noted.json"), dir = m_dir.filePath("noted");
    QCOMPARE(w.saveSession(session), QString());
    QCOMPARE(w.exportPlotData(dir), QString());
    const le::RunHistory loaded = le::load_session(session.toStdString());
    const auto note = std::find_if(loaded.markers().begin(), loaded.markers().end(),
                                   [](const le::ParamChange& m) { return m.key == "note"; });
    QVERIFY(note != loaded.markers().end());
    QCOMPARE(note->value, std::string("cache warm"));
    QCOMPARE(note->t_s, at);
    // The saved curve is the one drawn, not recomputed from per-interval figures.
    QCOMPARE(loaded.curve().size(), w.bridge()->history()->curve().size());
    QFile csv(dir + "/curves.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QVERIFY(csv.readAll().contains("\"cache warm\""));
}

void TestTimeline::windowSettingIsRemembered() {
    {
        MainWindow w(childPeer());
        w.setWindowSeconds(2.0);
        QCOMPARE(w.bridge()->windowSeconds(), 2.0);
        QCOMPARE(w.bridge()->history()->window_s(), 2.0);
        w.close();
    }
    MainWindow again(childPeer());
    QCOMPARE(again.bridge()->windowSeconds(), 2.0);
    again.setWindowSeconds(50); // out of range: clamped
    QCOMPARE(again.bridge()->windowSeconds(), 10.0);
    again.setWindowSeconds(1.0);
    again.close();
}

void TestTimeline::pongChildPlacementIsReadBack() {
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        QSKIP("needs two CPUs");
    // The window pinned from outside (as `taskset -c 1 latency-explorer` would): its pong child
    // inherits the mask, and the records say so for both sides instead of "any" and "unknown".
    const le::ScopedAffinity pinned({1});
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitState(w, SessionBridge::State::Running));
    QVERIFY(waitIntervals(w, 5));
    const le::IntervalRecord& r = w.bridge()->history()->intervals().back();
    QCOMPARE(r.pong_cpus, std::string("1"));
    QCOMPARE(r.ping_cpus, std::string("1"));
    w.stopMeasuring();
    QVERIFY(waitState(w, SessionBridge::State::Idle));
}

QTEST_MAIN(TestTimeline)

#include "tst_timeline.moc"
