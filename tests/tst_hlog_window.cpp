// Interval logs in the window: --open (and File > Open, the same openSession()) loads a log as one
// run per tag with the log's percentiles, renders it, and File > Export > Interval Log writes the
// live run or an opened one; a corrupt log is refused naming its line.
#include "export_conditions.h"
#include "file_io.h"
#include "hlog_run.h"
#include "main_window.h"
#include "overlay_runs.h"
#include "plot_test_support.h"
#include "session_bridge.h"
#include "widget_lookup.h"

#include <QtTest>

#include <QApplication>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>

#include <random>

class TestHlogWindow : public QObject {
    Q_OBJECT

private slots:
    void openedLogIsARunPerTag();
    void liveRunExportsItsIntervals();
    void commandLineOpensRendersAndRefuses();

private:
    QTemporaryDir m_dir;
};

namespace {

// A log like another tool's: 4 intervals untagged and tagged "b", lognormal values in ns.
std::vector<le::Histogram> writeLog(const QString& path) {
    std::mt19937_64 rng(17);
    std::vector<le::Histogram> hs;
    std::string text = le::hlog_header(1'700'000'000, "another tool");
    for (int i = 0; i < 4; ++i) {
        for (const char* tag : {"", "b"}) {
            std::lognormal_distribution<double> dist(std::log(tag[0] ? 200'000.0 : 30'000.0), 0.4 + 0.2 * i);
            le::Histogram h;
            for (int k = 0; k < 3000; ++k)
                h.record(std::llround(dist(rng)));
            text += le::hlog_row(tag, i, 1, h);
            hs.push_back(h);
        }
    }
    le::write_file_atomically(path.toStdString(), text);
    return hs;
}

} // namespace

void TestHlogWindow::openedLogIsARunPerTag() {
    const QString path = m_dir.filePath("other.hlog");
    const auto written = writeLog(path);
    WindowOptions o;
    o.autoStart = false;
    MainWindow w(o);
    QCOMPARE(w.openSession(path), QString());
    QCOMPARE(w.openedRunNames(), (QStringList{"other", "other [b]"}));
    const auto runs = child<OverlayRuns>(&w, "overlayRuns")->runs();
    for (std::size_t i = 0; i < written.size(); ++i) {
        const le::IntervalRecord& r = runs[static_cast<qsizetype>(i % 2)]->intervals()[i / 2];
        const le::Histogram& h = written[i];
        QCOMPARE(r.received, h.count());
        QCOMPARE(r.t_s, static_cast<double>(i / 2 + 1));
        const auto top = [](std::int64_t v) {
            return static_cast<double>(le::Histogram::highest_equivalent(le::Histogram::index_of(v))) / 1e3;
        };
        QCOMPARE(r.p50_us, top(h.value_at_percentile(50)));
        QCOMPARE(r.p99_us, top(h.value_at_percentile(99)));
    }
    // A log knows its rate achieved, not what was targeted nor the payload: its exports state only
    // what it knows (not "rate 3k of inf msg/s · payload 0 B · tasks 0").
    const QString line = conditionsOf(*runs[0], QStringLiteral("whole run"), {}).line;
    QVERIFY2(line.contains(QStringLiteral("rate 3k msg/s")), qPrintable(line));
    for (const char* unknown : {"inf", "payload", "tasks"})
        QVERIFY2(!line.contains(QLatin1String(unknown)), qPrintable(line));
    // Exporting an opened run gives its intervals back.
    const QString out = m_dir.filePath("b.hlog");
    QCOMPARE(w.exportIntervalLog(out, "other [b]"), QString());
    const le::HdrLog back = le::read_hlog(out.toStdString());
    QCOMPARE(back.intervals.size(), std::size_t{4});
    QCOMPARE(*back.start_time_s, 1'700'000'000.0);
    for (std::size_t i = 0; i < 4; ++i)
        QCOMPARE(back.intervals[i].histogram.count(), written[2 * i + 1].count());
    QVERIFY(w.exportIntervalLog(out, "nope").contains("no opened run"));
}

void TestHlogWindow::liveRunExportsItsIntervals() {
    WindowOptions o;
    o.inProcess = true;
    o.rate = "2k";
    MainWindow w(o);
    w.show();
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 3, 15000);
    w.stopMeasuring();
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->state() == SessionBridge::State::Idle, 5000);
    const QString out = m_dir.filePath("live.hlog");
    QCOMPARE(w.exportIntervalLog(out), QString());
    const le::HdrLog log = le::read_hlog(out.toStdString());
    const auto& records = w.bridge()->history()->intervals();
    QCOMPARE(log.intervals.size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        QCOMPARE(log.intervals[i].histogram.count(), records[i].received);
        QVERIFY(std::abs(log.intervals[i].start_s + log.intervals[i].length_s - records[i].t_s) < 0.001);
    }
    QVERIFY(log.start_time_s && std::abs(*log.start_time_s - QDateTime::currentSecsSinceEpoch()) < 120);
}

void TestHlogWindow::commandLineOpensRendersAndRefuses() {
    const QString path = m_dir.filePath("cli.hlog");
    writeLog(path);
    const QString png = m_dir.filePath("cli.png");
    QProcess p;
    p.start(LE_EXPLORER_PATH, {"-platform", "offscreen", "--open", path, "--export", png});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(distinctColours(image) > 50);

    // A damaged line 9 (the second interval) is refused, naming it.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = f.readAll().split('\n');
    f.close();
    lines[8] = lines[8].left(lines[8].size() - 10);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(lines.join('\n'));
    f.close();
    QProcess bad;
    bad.start(LE_EXPLORER_PATH, {"-platform", "offscreen", "--open", path, "--export", png});
    QVERIFY(bad.waitForFinished(30000));
    QCOMPARE(bad.exitCode(), 1);
    const QString err = QString::fromUtf8(bad.readAllStandardError());
    QVERIFY2(err.contains(path + ":9: corrupt interval log line: histogram:"), qPrintable(err));
}

QTEST_MAIN(TestHlogWindow)
#include "tst_hlog_window.moc"
