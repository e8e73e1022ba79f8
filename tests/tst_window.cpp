// The window as a user drives it: controls reach the running core, plots get data, runs are saved
// and overlaid, the peer can die, exports and the scripted screenshot produce real images.
#include "compare_dialog.h"
#include "controls_panel.h"
#include "histogram_plot.h"
#include "main_window.h"
#include "overlay_runs.h"
#include "own_children.h"
#include "peer_panel.h"
#include "percentile_plot.h"
#include "schedule_check.h"
#include "session_bridge.h"
#include "widget_lookup.h"
#include "window_test_support.h"

#include <QtTest>

#include <QApplication>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <csignal>

namespace {

int distinctColours(const QImage& image) {
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2)
            colours.insert(image.pixel(x, y));
    return int(colours.size());
}

// The window's parts, as a user sees them.
ControlsPanel* controls(const MainWindow& w) {
    return child<ControlsPanel>(&w, "controlsPanel");
}
HistogramPlot* histogramPlot(const MainWindow& w) {
    return child<HistogramPlot>(&w, "histogramPlot");
}
QLineEdit* entryOf(LogSliderEntry* control) {
    return child<QLineEdit>(control, "entry");
}

} // namespace

class TestWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        qputenv("LATENCY_PONG", LE_PONG_PATH);
    }

    void measuresAndPlots();
    void controlsChangeTheRunningCore_data();
    void controlsChangeTheRunningCore();
    void sliderDragIsDebounced();
    void invalidEntryIsRefusedInPlace_data();
    void invalidEntryIsRefusedInPlace();
    void peerLostKeepsEverything();
    void saveOpenOverlayRoundTrip();
    void corruptSessionIsAClearError();
    void exportsAreRealImages_data();
    void exportsAreRealImages();
    void exportToUnwritablePathLosesNothing();
    void pausedViewStillMeasures();
    void screenshotFromTheCommandLine();
    void openAndExportFromTheCommandLine();
    void abComparisonOverlaysAndTabulates();

private:
    QTemporaryDir m_dir;
};

void TestWindow::measuresAndPlots() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 5, 5000);
    // From here on, the redraws of a running measurement: each redraws the percentiles over time.
    QSignalSpy redraws(child<PercentilePlot>(&w, "percentilePlot"), &PlotBase::redrawn);
    QTRY_VERIFY_WITH_TIMEOUT(redraws.count() > 0, 2000);
    const auto* percentiles = child<PercentilePlot>(&w, "percentilePlot");
    QVERIFY(histogramPlot(w)->graphCount() > 0);
    QVERIFY(histogramPlot(w)->graph(0)->dataCount() > 0);
    QVERIFY(percentiles->graphCount() >= 5);
    QVERIFY(percentiles->graph(0)->dataCount() >= 3);
    const auto& last = w.bridge()->history()->intervals().back();
    QVERIFY(last.received > 0);
    QCOMPARE(last.target_rate, 1000.0);
    QCOMPARE(ownChildren("latency-pong").size(), 1); // the default peer is a child process
}

void TestWindow::controlsChangeTheRunningCore_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("typed");
    QTest::newRow("rate") << "rate"
                          << "2.5k";
    QTest::newRow("payload") << "payload"
                             << "1KiB";
    QTest::newRow("tasks") << "tasks"
                           << "3";
    QTest::newRow("task-work") << "task-work"
                               << "50us";
}

void TestWindow::controlsChangeTheRunningCore() {
    QFETCH(QString, key);
    QFETCH(QString, typed);
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(!w.bridge()->history()->empty(), 5000);
    const std::size_t before = w.bridge()->history()->intervals().size();

    QLineEdit* entry = entryOf(controls(w)->control(key));
    entry->selectAll();
    QTest::keyClicks(entry, typed);
    QTest::keyClick(entry, Qt::Key_Return);

    // The change is stamped into a record, and the records after it run at the new value.
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (const auto& r : recordsSince(w, before))
                for (const auto& c : r.changes)
                    if (QString::fromStdString(c.key) == key)
                        return true;
            return false;
        },
        3000));
    QTest::qWait(400);
    const auto after = recordsSince(w, before);
    const le::IntervalRecord& r = after.back();
    if (key == "rate") {
        QCOMPARE(r.target_rate, 2500.0);
        // Over the records after the one carrying the change (one 100 ms record alone can be empty on
        // a loaded machine): never ahead of the new target, and every slot of its schedule, 2500 a
        // second, sent or counted skipped (schedule_check.h; a loaded machine skips some).
        std::uint64_t sent = 0, skipped = 0;
        double seconds = 0;
        bool changed = false;
        for (const auto& rec : after) {
            if (changed) {
                sent += rec.sent;
                skipped += rec.skipped;
                seconds += rec.duration_s;
            }
            for (const auto& c : rec.changes)
                changed |= c.key == "rate";
        }
        QVERIFY(seconds > 0);
        const QString problem = scheduleProblem(sent, skipped, seconds, 2500, 0.1);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    } else if (key == "payload") {
        QCOMPARE(r.payload, 1024u);
        QCOMPARE(r.bytes, r.sent * 1024);
    } else if (key == "tasks") {
        QCOMPARE(r.tasks, 3);
    } else {
        bool found = false;
        for (const auto& rec : after)
            for (const auto& c : rec.changes)
                found |= c.key == "task-work" && c.value == "50 us";
        QVERIFY(found);
    }
}

void TestWindow::sliderDragIsDebounced() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(!w.bridge()->history()->empty(), 5000);
    QSlider* slider = child<QSlider>(controls(w)->rate(), "slider");
    const std::size_t before = w.bridge()->history()->intervals().size();
    // A drag through many positions applies once, on release.
    slider->setSliderDown(true);
    for (int i = 0; i < 5; ++i)
        slider->triggerAction(QAbstractSlider::SliderSingleStepAdd);
    QTest::qWait(400);
    int changes = 0;
    for (const auto& r : recordsSince(w, before))
        changes += int(r.changes.size());
    QCOMPARE(changes, 0);
    slider->setSliderDown(false); // emits sliderReleased
    QTRY_VERIFY_WITH_TIMEOUT(
        !recordsSince(w, before).empty() &&
            [&] {
                int n = 0;
                for (const auto& r : recordsSince(w, before))
                    n += int(r.changes.size());
                return n == 1;
            }(),
        3000);
    QCOMPARE(controls(w)->rate()->value(), QStringLiteral("50k")); // 1k + 5 steps of 1-2-5
}

void TestWindow::invalidEntryIsRefusedInPlace_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("reason");
    QTest::newRow("rate word") << "rate"
                               << "fast"
                               << "invalid rate";
    QTest::newRow("rate too high") << "rate"
                                   << "5M"
                                   << "out of range";
    QTest::newRow("payload too big") << "payload"
                                     << "2MiB"
                                     << "out of range";
    QTest::newRow("udp payload") << "payload"
                                 << "100KiB"
                                 << "UDP";
    QTest::newRow("tasks negative") << "tasks"
                                    << "-3"
                                    << "invalid number";
}

void TestWindow::invalidEntryIsRefusedInPlace() {
    QFETCH(QString, key);
    QFETCH(QString, typed);
    QFETCH(QString, reason);
    MainWindow w(childPeer(le::Transport::Udp));
    w.show();
    QVERIFY(waitRunning(w));
    LogSliderEntry* control = controls(w)->control(key);
    const QString shownBefore = control->value();
    entryOf(control)->selectAll();
    QTest::keyClicks(entryOf(control), typed);
    QTest::keyClick(entryOf(control), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(entryOf(control)->toolTip().contains(reason), 2000);
    const std::size_t before = w.bridge()->history()->intervals().size();
    QTest::qWait(400);
    for (const auto& r : recordsSince(w, before)) {
        QVERIFY(r.changes.empty());
        QCOMPARE(r.target_rate, 1000.0);
        QCOMPARE(r.payload, 64u);
    }
    if (key != "payload" || typed != "100KiB") // refused by the core, after the entry accepted it
        QCOMPARE(control->value(), shownBefore);
}

void TestWindow::peerLostKeepsEverything() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 5, 5000);
    const QList<qint64> pongs = ownChildren("latency-pong"); // the window's peer, the test's only one
    QCOMPARE(pongs.size(), 1);
    const qint64 pid = pongs.front();
    QVERIFY(pid > 0);
    QElapsedTimer timer;
    timer.start();
    ::kill(pid_t(pid), SIGKILL);
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Lost, 2000);
    QVERIFY(timer.elapsed() < 2000);
    auto* peer = child<PeerPanel>(&w, "peerPanel");
    QVERIFY(child<QLabel>(peer, "stateLabel")->text().contains("peer lost"));
    QTest::qWait(300); // the interval cut short by the loss still comes in
    const std::size_t kept = w.bridge()->history()->intervals().size();
    QVERIFY(kept >= 5);
    QTest::qWait(300);
    QCOMPARE(w.bridge()->history()->intervals().size(), kept);
    // Everything measured is still exportable, and Start offers to measure again.
    const QString csv = m_dir.filePath("lost.csv");
    QCOMPARE(w.exportRecords(csv), QString());
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().count('\n') >= int(kept) + 1);
    auto* start = child<QPushButton>(peer, "startButton");
    QVERIFY(start->isEnabled());
    QTest::mouseClick(start, Qt::LeftButton);
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() > kept + 3, 5000);
}

void TestWindow::saveOpenOverlayRoundTrip() {
    const QString path = m_dir.filePath("run.json");
    std::size_t saved = 0;
    {
        MainWindow w(childPeer());
        w.show();
        QVERIFY(waitRunning(w));
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 4, 5000);
        w.stopMeasuring();
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 3000);
        saved = w.bridge()->history()->intervals().size();
        QCOMPARE(w.saveSession(path), QString());
    }
    WindowOptions o = childPeer();
    o.autoStart = false;
    MainWindow w(o);
    w.show();
    QCOMPARE(w.openSession(path), QString());
    const OverlayRuns::Runs overlays = child<OverlayRuns>(&w, "overlayRuns")->runs();
    QCOMPARE(overlays.size(), 1);
    QCOMPARE(overlays.front()->intervals().size(), saved);
    QVERIFY(overlays.front()->summary().has_value());
    w.refreshPlots(true);
    // The overlay is drawn and named in the legend.
    bool named = false;
    for (int i = 0; i < histogramPlot(w)->legend->itemCount(); ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(histogramPlot(w)->legend->item(i)))
            named |= item->plottable()->name().contains("run");
    QVERIFY(named);
    if (const QString dir = qEnvironmentVariable("LE_SCREENSHOT_DIR"); !dir.isEmpty())
        w.exportWindow(dir + "/overlay-window.png");
}

void TestWindow::corruptSessionIsAClearError() {
    const QString path = m_dir.filePath("corrupt.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"format\":\"latency-explorer-session\",\"version\":1,\"intervals\":[{\"t_s\":");
    f.close();
    WindowOptions o = childPeer();
    o.autoStart = false;
    MainWindow w(o);
    const QString error = w.openSession(path);
    QVERIFY(error.contains("corrupt"));
    QVERIFY(error.contains(path));
    QCOMPARE(child<OverlayRuns>(&w, "overlayRuns")->runs().size(), 0);
}

void TestWindow::exportsAreRealImages_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("png") << "window.png";
    QTest::newRow("pdf") << "window.pdf";
    QTest::newRow("svg") << "window.svg";
}

void TestWindow::exportsAreRealImages() {
    QFETCH(QString, file);
    MainWindow w(childPeer());
    w.resize(1200, 760);
    w.show();
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 3, 5000);
    const QString path = m_dir.filePath(file);
    QCOMPARE(w.exportWindow(path), QString());
    QFile out(path);
    QVERIFY(out.open(QIODevice::ReadOnly));
    const QByteArray bytes = out.readAll();
    QVERIFY(bytes.size() > 5000);
    if (file.endsWith("png")) {
        QImage image;
        QVERIFY(image.loadFromData(bytes));
        QCOMPARE(image.size(), w.size());
        QVERIFY2(distinctColours(image) > 50, qPrintable(QString::number(distinctColours(image))));
    } else if (file.endsWith("pdf")) {
        QVERIFY(bytes.startsWith("%PDF"));
    } else {
        QVERIFY(bytes.contains("<svg"));
        QVERIFY(bytes.count("<text") > 10);
    }
}

void TestWindow::exportToUnwritablePathLosesNothing() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 3, 5000);
    const QString error = w.exportWindow("/nonexistent-dir/x.png");
    QVERIFY(error.contains("/nonexistent-dir/x.png"));
    QVERIFY(!w.exportRecords("/nonexistent-dir/x.csv").isEmpty());
    QVERIFY(!w.saveSession("/nonexistent-dir/x.json").isEmpty());
    const std::size_t n = w.bridge()->history()->intervals().size();
    QCOMPARE(w.bridge()->state(), SessionBridge::State::Running);
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() > n, 2000);
}

void TestWindow::pausedViewStillMeasures() {
    MainWindow w(childPeer());
    // Each redraw of the plots redraws the percentiles over time (as do the first show and resizes).
    QSignalSpy redrawn(child<PercentilePlot>(&w, "percentilePlot"), &PlotBase::redrawn);
    w.show();
    QVERIFY(waitRunning(w));
    QTRY_VERIFY_WITH_TIMEOUT(redrawn.count() > 2, 5000);
    w.setPaused(true);
    QTest::qWait(100);
    const auto redraws = redrawn.count();
    const std::size_t n = w.bridge()->history()->intervals().size();
    QTest::qWait(600);
    QCOMPARE(redrawn.count(), redraws);
    QVERIFY(w.bridge()->history()->intervals().size() >= n + 3);
    w.setPaused(false);
    QTRY_VERIFY_WITH_TIMEOUT(redrawn.count() > redraws, 1000);
}

void TestWindow::screenshotFromTheCommandLine() {
    const QString png = m_dir.filePath("shot.png");
    QProcess p;
    QStringList args{"--in-process", "--rate", "2k", "--screenshot", png, "--after", "2s"};
    if (QGuiApplication::platformName() == "offscreen")
        args.prepend("-platform"), args.insert(1, "offscreen");
    p.start(LE_EXPLORER_PATH, args);
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(out.contains("wrote") && out.contains("summary"), qPrintable(out));
    QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 800 && image.height() >= 500);
    QVERIFY(distinctColours(image) > 50);
}

void TestWindow::openAndExportFromTheCommandLine() {
    // A saved run, rendered headless.
    const QString session = m_dir.filePath("cli.json");
    {
        MainWindow w(childPeer());
        w.show();
        QVERIFY(waitRunning(w));
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 3, 5000);
        QCOMPARE(w.saveSession(session), QString());
    }
    const QString png = m_dir.filePath("opened.png");
    QProcess p;
    p.start(LE_EXPLORER_PATH, {"-platform", "offscreen", "--open", session, "--export", png});
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitCode(), 0);
    QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(distinctColours(image) > 50);
    // And a corrupt one is refused with a clear message.
    QProcess bad;
    bad.start(LE_EXPLORER_PATH, {"-platform", "offscreen", "--open", LE_PONG_PATH, "--export", png});
    QVERIFY(bad.waitForFinished(20000));
    QCOMPARE(bad.exitCode(), 1);
    QVERIFY(QString::fromUtf8(bad.readAllStandardError()).contains("not a Latency Explorer session"));
}

void TestWindow::abComparisonOverlaysAndTabulates() {
    MainWindow w(childPeer());
    w.show();
    QVERIFY(waitRunning(w));
    child<QAction>(&w, "compareAction")->trigger(); // Run > Compare Configurations: shows the dialog
    CompareDialog* d = child<CompareDialog>(&w, "compareDialog");
    QVERIFY(d->isVisible());
    for (QCheckBox* b : allChildren<QCheckBox>(d, "engineBox"))
        b->setChecked(b->text() == "blocking" || b->text() == "asio");
    for (QCheckBox* b : allChildren<QCheckBox>(d, "transportBox"))
        b->setChecked(b->text() == "udp");
    child<QLineEdit>(d, "sliceEdit")->setText("250ms");
    child<QLineEdit>(d, "durationEdit")->setText("500ms");
    QSignalSpy done(d, &CompareDialog::finished);
    QTest::mouseClick(child<QPushButton>(d, "startButton"), Qt::LeftButton);
    // Live measuring makes way for the comparison.
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->state() != SessionBridge::State::Running, 3000);
    QVERIFY(done.wait(20000));
    const QTableWidget* table = child<QTableWidget>(d, "resultsTable");
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("blocking"));
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("asio"));
    QCOMPARE(table->item(0, 7)->text(), QStringLiteral("1.00")); // A against itself
    QVERIFY(table->item(1, 2)->text().toDouble() > 0);
    // Each variant ran in two alternating slices and is overlaid on the plots, named in the legend.
    // A fresh window has no other overlays: they are the comparison's runs, in variant order.
    const OverlayRuns::Runs runs = child<OverlayRuns>(&w, "overlayRuns")->runs();
    QCOMPARE(runs.size(), 2);
    for (const auto& run : runs) {
        QCOMPARE(run->intervals().size(), 2u);
        QVERIFY(run->whole_run().count() > 0);
    }
    QVERIFY(runs[0]->intervals()[0].t_s < runs[1]->intervals()[0].t_s);
    QVERIFY(runs[1]->intervals()[0].t_s < runs[0]->intervals()[1].t_s);
    w.refreshPlots(true);
    QStringList names;
    for (int i = 0; i < histogramPlot(w)->legend->itemCount(); ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(histogramPlot(w)->legend->item(i)))
            names << item->plottable()->name();
    QVERIFY2(names.contains("blocking") && names.contains("asio"), qPrintable(names.join(", ")));
    // For looking at it: LE_SCREENSHOT_DIR=/tmp/shots tst_window abComparisonOverlaysAndTabulates
    if (const QString dir = qEnvironmentVariable("LE_SCREENSHOT_DIR"); !dir.isEmpty()) {
        w.exportWindow(dir + "/compare-window.png");
        d->grab().save(dir + "/compare-dialog.png");
    }
}

int main(int argc, char** argv) {
    return runWindowSuite<TestWindow>(argc, argv);
}

#include "tst_window.moc"
