// A run's records as the window exports them (core/stats/run_export): every row says its engine,
// transport, peer and segment; a run restarted for a new engine has a summary per segment and one
// over the whole run, whose counts are the sums of all intervals.
#include "run_export.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <sstream>

using namespace le;

namespace {

IntervalRecord interval(double t, std::uint64_t sent, std::int64_t rttNs) {
    IntervalRecord r;
    r.t_s = t;
    r.duration_s = 1;
    r.target_rate = 1000;
    r.achieved_rate = double(sent);
    r.payload = 64;
    r.sent = r.received = sent;
    auto h = std::make_shared<Histogram>();
    for (std::uint64_t i = 0; i < sent; ++i)
        h->record(rttNs);
    r.rtt_ns = h;
    return r;
}

IntervalRecord summaryOf(std::uint64_t sent, double p50) {
    IntervalRecord s;
    s.kind = IntervalRecord::Kind::Summary;
    s.sent = s.received = sent;
    s.p50_us = p50;
    return s;
}

// Two segments: 3 intervals on blocking/tcp at 20 us, then 2 on asio/udp at 100 us.
RunHistory twoSegments() {
    RunHistory run;
    run.info() = {{"engine", "blocking"}, {"transport", "tcp"}, {"peer", "tcp://127.0.0.1:5000"}};
    for (int i = 0; i < 3; ++i)
        run.add(interval(i + 1, 1000, 20'000));
    run.add(summaryOf(3000, 20));
    run.info() = {{"engine", "asio"}, {"transport", "udp"}, {"peer", "udp://127.0.0.1:6000"}};
    for (int i = 0; i < 2; ++i)
        run.add(interval(i + 4, 500, 100'000));
    run.add(summaryOf(1000, 100));
    return run;
}

} // namespace

class TestRunExport : public QObject {
    Q_OBJECT

private slots:
    void wholeRunSummaryCoversEverySegment() {
        const RunHistory run = twoSegments();
        QCOMPARE(run.segments().size(), 2u);
        QCOMPARE(run.segments()[1].first, 3u);
        QCOMPARE(run.segments()[1].end, 5u);
        const IntervalRecord s = whole_run_summary(run);
        QCOMPARE(s.sent, 4000u);
        QCOMPARE(s.duration_s, 5.0);
        QCOMPARE(s.achieved_rate, 800.0);
        // 3000 samples at 20 us and 1000 at 100 us: p50 is 20 us, p90 100 us (within the
        // histogram's precision), where the last segment's summary alone said p50 = 100.
        QVERIFY(std::abs(s.p50_us - 20) < 0.1);
        QVERIFY(std::abs(s.p90_us - 100) < 0.5);
        QCOMPARE(run.summary()->p50_us, 100.0);
    }

    void csvRowsSayEngineTransportPeerAndSegment() {
        std::ostringstream out;
        write_run_records(out, RecordFormat::Csv, twoSegments());
        const QStringList lines = QString::fromStdString(out.str()).split('\n', Qt::SkipEmptyParts);
        QVERIFY(lines[0].startsWith("engine,transport,peer,segment,type,t_s"));
        QCOMPARE(lines.size(), 1 + 5 + 2 + 1); // header, intervals, two segment summaries, whole run
        QVERIFY(lines[1].startsWith("blocking,tcp,tcp://127.0.0.1:5000,1,interval,"));
        QVERIFY(lines[4].startsWith("asio,udp,udp://127.0.0.1:6000,2,interval,"));
        QVERIFY(lines[6].startsWith("blocking,tcp,tcp://127.0.0.1:5000,1,summary,"));
        QVERIFY(lines[7].startsWith("asio,udp,udp://127.0.0.1:6000,2,summary,"));
        QVERIFY(lines[8].startsWith("asio,udp,udp://127.0.0.1:6000,all,summary,"));
        QCOMPARE(lines[8].split(',')[10], QString("4000")); // sent: the whole run's
    }

    void jsonRowsSayThemToo() {
        std::ostringstream out;
        write_run_records(out, RecordFormat::Json, twoSegments());
        std::istringstream in(out.str());
        std::vector<nlohmann::json> rows;
        for (std::string line; std::getline(in, line);)
            rows.push_back(nlohmann::json::parse(line));
        QCOMPARE(rows.size(), 8u);
        QCOMPARE(rows[0]["engine"], "blocking");
        QCOMPARE(rows[0]["segment"], 1);
        QCOMPARE(rows[3]["transport"], "udp");
        QCOMPARE(rows[3]["peer"], "udp://127.0.0.1:6000");
        QCOMPARE(rows[7]["segment"], "all");
        QCOMPARE(rows[7]["type"], "summary");
        QCOMPARE(rows[7]["sent"], 4000);
    }

    void oneSegmentHasNoSeparateSegmentSummary() {
        RunHistory run;
        run.info()["engine"] = "spin";
        run.add(interval(1, 10, 5000));
        run.add(summaryOf(10, 5));
        std::ostringstream out;
        write_run_records(out, RecordFormat::Csv, run);
        const QStringList lines = QString::fromStdString(out.str()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[2].startsWith("spin,,,all,summary,"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, write_run_records(out, RecordFormat::Text, run));
    }
};

QTEST_APPLESS_MAIN(TestRunExport)
#include "tst_run_export.moc"
