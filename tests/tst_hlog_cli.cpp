// latency-ping writes interval logs: --hlog beside the records (the same intervals, counts and
// percentiles, Tag=first/rest with --burst), and `sweep --hlog` one tagged line per point.
#include "cli_test_support.h"
#include "hdr_log.h"

#include <QJsonValue>

class TestHlogCli : public QObject {
    Q_OBJECT

private slots:
    void pingWritesTheIntervals();
    void sweepWritesAPointPerLine();
    void unwritableLogIsAUsageError();
};

void TestHlogCli::pingWritesTheIntervals() {
    QTemporaryDir dir;
    const QString path = dir.filePath("run.hlog");
    QProcess p;
    p.start(kPing, QStringList(kShortRun) << "--rate"
                                          << "2k"
                                          << "--burst"
                                          << "2"
                                          << "--format"
                                          << "json"
                                          << "--hlog" << path);
    QVERIFY(p.waitForFinished(60'000));
    QCOMPARE(p.exitCode(), 0);
    QString error;
    const QList<QJsonObject> records = jsonRecords(p.readAllStandardOutput(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QList<QJsonObject> intervals;
    for (const auto& r : records)
        if (r["type"].toString() == "interval")
            intervals << r;
    QVERIFY(intervals.size() >= 2);

    const le::HdrLog log = le::read_hlog(path.toStdString());
    QVERIFY(log.start_time_s && *log.start_time_s > 1.7e9);
    QCOMPARE(log.intervals.size(), static_cast<std::size_t>(3 * intervals.size()));
    for (qsizetype i = 0; i < intervals.size(); ++i) {
        const QJsonObject& r = intervals[i];
        const auto& all = log.intervals[static_cast<std::size_t>(3 * i)];
        const auto& first = log.intervals[static_cast<std::size_t>(3 * i + 1)];
        const auto& rest = log.intervals[static_cast<std::size_t>(3 * i + 2)];
        QCOMPARE(all.tag, std::string());
        QCOMPARE(first.tag, std::string("first"));
        QCOMPARE(rest.tag, std::string("rest"));
        QCOMPARE(static_cast<qint64>(all.histogram.count()), r["received"].toInteger());
        QCOMPARE(first.histogram.count() + rest.histogram.count(), all.histogram.count());
        QVERIFY(std::abs(all.start_s + all.length_s - r["t_s"].toDouble()) < 0.001);
        // Percentiles are bucket tops in the log, exact values (clamped to max) in the records.
        const auto p50 = all.histogram.value_at_percentile(50);
        const double p50_us = r["p50_us"].toDouble();
        QVERIFY2(std::abs(p50 / 1e3 - p50_us) <= p50 / 1e3 / 128 + 0.001,
                 qPrintable(QString("log p50 %1 ns, record %2 us").arg(p50).arg(p50_us)));
        // The log writes Interval_Max in ms with 3 decimals (HdrHistogram's format), the record in
        // us: the two differ by the log's rounding, at most half a microsecond.
        QVERIFY2(std::abs(all.max_column * 1e3 - r["max_us"].toDouble()) <= 0.5 + 1e-6,
                 qPrintable(
                     QString("log max %1 ms, record %2 us").arg(all.max_column).arg(r["max_us"].toDouble())));
    }
}

void TestHlogCli::sweepWritesAPointPerLine() {
    QTemporaryDir dir;
    const QString path = dir.filePath("sweep.hlog");
    QProcess p;
    p.start(kPing,
            {"sweep", "--rates", "500,1k", "--tasks", "0", "--payloads", "64", "--transports", "udp",
             "--engines", "blocking", "--duration", "1s", "--warmup", "200ms", "--no-icmp", "--hlog", path});
    QVERIFY(p.waitForFinished(60'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const le::HdrLog log = le::read_hlog(path.toStdString());
    QCOMPARE(log.intervals.size(), std::size_t{2});
    QCOMPARE(log.intervals[0].tag, std::string("udp/blocking/tasks=0/payload=64/rate=500/rep=0"));
    QCOMPARE(log.intervals[1].tag, std::string("udp/blocking/tasks=0/payload=64/rate=1000/rep=0"));
    for (const auto& in : log.intervals) {
        QVERIFY(std::abs(in.length_s - 1.0) < 0.1);
        // At most rate x duration echoes (closed loop never sends ahead of its schedule), and most of
        // them: a busy machine costs closed loop the slots of late echoes, nothing more.
        const double rate = in.tag.find("rate=500/") != std::string::npos ? 500 : 1000;
        const auto count = static_cast<double>(in.histogram.count());
        QVERIFY2(count <= rate * in.length_s * 1.02 + 1 && count > rate * in.length_s * 0.5,
                 qPrintable(QString("%1 echoes in %2 s").arg(count).arg(in.length_s)));
    }
    QVERIFY(log.intervals[1].start_s > log.intervals[0].start_s);
}

void TestHlogCli::unwritableLogIsAUsageError() {
    QProcess p;
    p.start(kPing, QStringList(kShortRun) << "--hlog"
                                          << "/nonexistent/dir/x.hlog");
    QVERIFY(p.waitForFinished(30'000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("--hlog: cannot write /nonexistent/dir/x.hlog"));
}

QTEST_GUILESS_MAIN(TestHlogCli)
#include "tst_hlog_cli.moc"
