// The ICMP baseline: the system ping's output parsed from recorded runs, the arguments it gets,
// the unprivileged interval clamp (through a stand-in ping that refuses like iputils), and a real
// ping on loopback.
#include "icmp_baseline.h"

#include <QtTest>

#include <cmath>

#include <QFile>
#include <QTemporaryDir>

using namespace le;

namespace {

std::string recorded(const char* name) {
    QFile f(QStringLiteral(LE_TEST_DATA_DIR "/icmp/%1").arg(QLatin1String(name)));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", name);
    return f.readAll().toStdString();
}

bool contains(const std::string& text, const char* part) {
    return text.find(part) != std::string::npos;
}

} // namespace

class TestIcmp : public QObject {
    Q_OBJECT

private slots:
    // Found by fuzz_icmp: a count beyond 2^64 was cast from double to an integer (undefined
    // behaviour), and from_chars' "nan", "inf" and negative numbers went into the histogram as
    // replies. Counts now saturate; such a time is no reply (the line is kept among the others).
    void oddNumbersInPingOutput_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<qulonglong>("replies");
        QTest::addColumn<qulonglong>("transmitted");
        QTest::addColumn<qulonglong>("received");
        QTest::addColumn<double>("timeMs"); // -1: none
        QTest::newRow("count beyond 2^64")
            << QByteArray("30000000000000000000000000000 packets transmitted, 7 received, time 10ms\n")
            << 0ull << 18446744073709551615ull << 7ull << 10.0;
        QTest::newRow("time=nan") << QByteArray("64 bytes from x: icmp_seq=1 ttl=64 time=nan ms\n") << 0ull
                                  << 0ull << 0ull << -1.0;
        QTest::newRow("time=inf") << QByteArray("64 bytes from x: icmp_seq=1 ttl=64 time=inf ms\n") << 0ull
                                  << 0ull << 0ull << -1.0;
        QTest::newRow("time=-5") << QByteArray("64 bytes from x: icmp_seq=1 ttl=64 time=-5 ms\n") << 0ull
                                 << 0ull << 0ull << -1.0;
        QTest::newRow("time=1e300") << QByteArray("64 bytes from x: icmp_seq=1 ttl=64 time=1e300 ms\n")
                                    << 0ull << 0ull << 0ull << -1.0;
        QTest::newRow("summary time nan") << QByteArray("64 bytes from x: icmp_seq=1 ttl=64 time=0.5 ms\n"
                                                        "5 packets transmitted, 5 received, time nanms")
                                          << 1ull << 5ull << 5ull << -1.0;
    }
    void oddNumbersInPingOutput() {
        QFETCH(QByteArray, text);
        QFETCH(qulonglong, replies);
        QFETCH(qulonglong, transmitted);
        QFETCH(qulonglong, received);
        QFETCH(double, timeMs);
        const IcmpOutput out = parse_ping_output(std::string_view(text.constData(), text.size()));
        QCOMPARE(out.replies, replies);
        QCOMPARE(out.rtt.count(), replies);
        QCOMPARE(out.transmitted, transmitted);
        QCOMPARE(out.received, received);
        QCOMPARE(out.time_ms.has_value(), timeMs >= 0);
        if (timeMs >= 0)
            QCOMPARE(*out.time_ms, timeMs);
        if (replies == 0 && transmitted == 0)
            QCOMPARE(out.other.size(), std::size_t(1)); // the line is kept, not counted
        // Whatever was read makes a point with sane figures.
        const SweepPointResult p = icmp_point_result(out, 100, 1.5, "127.0.0.1");
        QVERIFY(std::isfinite(p.achieved_rate) && p.achieved_rate >= 0);
        QVERIFY(std::isfinite(p.duration_s) && p.duration_s > 0);
    }

    // The incremental parser as the pipe feeds it: any chunking gives what the whole text gives,
    // and a line without end is cut at kMaxLine instead of growing.
    void chunkedFeedMatchesWhole_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("chunk");
        for (const QString file :
             {"iputils_normal.txt", "iputils_loss.txt", "busybox_normal.txt", "iputils_user_interval.txt"})
            for (int chunk : {1, 3, 7, 64, 100000})
                QTest::newRow(qPrintable(QStringLiteral("%1 by %2").arg(file).arg(chunk))) << file << chunk;
    }
    void chunkedFeedMatchesWhole() {
        QFETCH(QString, file);
        QFETCH(int, chunk);
        const std::string text = recorded(qPrintable(file));
        const IcmpOutput whole = parse_ping_output(text);
        QVERIFY(whole.replies > 0 || whole.min_user_interval_s);
        IcmpParser p;
        for (std::size_t at = 0; at < text.size(); at += static_cast<std::size_t>(chunk))
            p.feed(std::string_view(text).substr(at, static_cast<std::size_t>(chunk)));
        p.finish();
        QCOMPARE(p.output().replies, whole.replies);
        QCOMPARE(p.output().transmitted, whole.transmitted);
        QCOMPARE(p.output().min_user_interval_s, whole.min_user_interval_s);
        QVERIFY(p.output().rtt == whole.rtt);
        QCOMPARE(p.output().other, whole.other);

        IcmpParser runaway;
        const std::string endless(3 * IcmpParser::kMaxLine, 'x');
        for (int i = 0; i < 3; ++i)
            runaway.feed(endless);
        runaway.feed("\n64 bytes from x: icmp_seq=1 ttl=64 time=0.25 ms\n");
        runaway.finish();
        QCOMPARE(runaway.output().other.at(0).size(), IcmpParser::kMaxLine);
        QCOMPARE(runaway.output().replies, 1ull);
    }

    void parsesRecordedOutputs_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qulonglong>("replies");
        QTest::addColumn<qulonglong>("transmitted");
        QTest::addColumn<qulonglong>("received");
        QTest::addColumn<qulonglong>("errors");
        QTest::addColumn<qlonglong>("minNs");
        QTest::addColumn<qlonglong>("maxNs");
        QTest::addColumn<double>("timeMs"); // -1: none in the summary
        QTest::newRow("normal") << "iputils_normal.txt" << 5ull << 5ull << 5ull << 0ull << 32'000ll
                                << 41'000ll << 848.0;
        QTest::newRow("loss") << "iputils_loss.txt" << 8ull << 12ull << 8ull << 0ull << 35'000ll << 234'000ll
                              << 1195.0;
        QTest::newRow("unreachable") << "iputils_unreachable.txt" << 0ull << 2ull << 0ull << 2ull << 0ll
                                     << 0ll << 208.0;
        QTest::newRow("adaptive") << "iputils_adaptive_root.txt" << 20ull << 20ull << 20ull << 0ull << -1ll
                                  << -1ll << 0.0;
        QTest::newRow("busybox") << "busybox_normal.txt" << 3ull << 3ull << 3ull << 0ull << 62'000ll
                                 << 94'000ll << -1.0;
    }
    void parsesRecordedOutputs() {
        QFETCH(QString, file);
        QFETCH(qulonglong, replies);
        QFETCH(qulonglong, transmitted);
        QFETCH(qulonglong, received);
        QFETCH(qulonglong, errors);
        QFETCH(qlonglong, minNs);
        QFETCH(qlonglong, maxNs);
        QFETCH(double, timeMs);
        const IcmpOutput out = parse_ping_output(recorded(qPrintable(file)));
        QCOMPARE(out.replies, replies);
        QCOMPARE(out.rtt.count(), replies);
        QVERIFY(out.have_summary);
        QCOMPARE(out.transmitted, transmitted);
        QCOMPARE(out.received, received);
        QCOMPARE(out.errors, errors);
        if (minNs >= 0) {
            QCOMPARE(out.rtt.min(), minNs); // exact, not bucketed
            QCOMPARE(out.rtt.max(), maxNs);
        }
        if (timeMs < 0)
            QVERIFY(!out.time_ms);
        else
            QCOMPARE(*out.time_ms, timeMs);
        QVERIFY(!out.not_permitted);
    }

    void normalRunAsPoint() {
        const IcmpOutput out = parse_ping_output(recorded("iputils_normal.txt"));
        // 5 sends over 848 ms from first to last: 4 gaps.
        QVERIFY(out.send_rate());
        QVERIFY(std::abs(*out.send_rate() - 4 / 0.848) < 1e-9);
        const SweepPointResult p = icmp_point_result(out, 5, 1.0, "127.0.0.1");
        QVERIFY(p.error.empty());
        QVERIFY(p.icmp);
        QCOMPARE(p.series(), std::string("ICMP (system ping)"));
        QCOMPARE(p.sent, 5ull);
        QCOMPARE(p.lost, 0ull);
        QVERIFY(std::abs(p.achieved_rate - 4 / 0.848) < 1e-9);
        QVERIFY(std::abs(p.percentile_us(50) - 40.0) < 0.5); // 32 36 40 40 41 us
    }

    void lossCountsMissingReplies() {
        const SweepPointResult p =
            icmp_point_result(parse_ping_output(recorded("iputils_loss.txt")), 10, 1.2, "127.0.0.1");
        QVERIFY(p.error.empty());
        QCOMPARE(p.sent, 12ull);
        QCOMPARE(p.received, 8ull);
        QCOMPARE(p.lost, 4ull);
        QCOMPARE(p.rtt.count(), 8ull);
    }

    void failuresGiveClearNotes_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not permitted") << "iputils_not_permitted.txt"
                                       << "not permitted";
        QTest::newRow("unreachable") << "iputils_unreachable.txt"
                                     << "Destination Port Unreachable";
        QTest::newRow("user interval") << "iputils_user_interval.txt"
                                       << "minimal interval";
    }
    void failuresGiveClearNotes() {
        QFETCH(QString, file);
        QFETCH(QString, expected);
        const IcmpOutput out = parse_ping_output(recorded(qPrintable(file)));
        QCOMPARE(out.replies, 0ull);
        const SweepPointResult p = icmp_point_result(out, 1000, 0.01, "127.0.0.1");
        QVERIFY2(contains(p.error, qPrintable(expected)), p.error.c_str());
        QVERIFY(!p.ok());
    }

    void userIntervalIsParsed() {
        const IcmpOutput out = parse_ping_output(recorded("iputils_user_interval.txt"));
        QVERIFY(out.min_user_interval_s);
        QCOMPARE(*out.min_user_interval_s, 0.002);
        QVERIFY(parse_ping_output(recorded("iputils_not_permitted.txt")).not_permitted);
    }

    void arguments_data() {
        QTest::addColumn<double>("rate");
        QTest::addColumn<double>("floor");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("1/s for 3 s") << 1.0 << 0.0
                                     << QStringList{"-n", "-s", "56", "-w", "3", "-c", "3", "-i", "1", "h"};
        QTest::newRow("1k/s") << 1000.0 << 0.0
                              << QStringList{"-n", "-s", "56", "-w", "3", "-c", "3000", "-i", "0.001", "h"};
        QTest::newRow("1k/s clamped")
            << 1000.0 << 0.002 << QStringList{"-n", "-s", "56", "-w", "3", "-c", "1500", "-i", "0.002", "h"};
        QTest::newRow("inf") << 0.0 << 0.0 << QStringList{"-n", "-s", "56", "-w", "3", "-A", "h"};
        QTest::newRow("inf clamped") << 0.0 << 0.002
                                     << QStringList{"-n", "-s", "56", "-w", "3", "-A", "-i", "0.002", "h"};
    }
    void arguments() {
        QFETCH(double, rate);
        QFETCH(double, floor);
        QFETCH(QStringList, expected);
        QStringList got;
        for (const auto& a : ping_arguments("h", rate, 3 * kNanosPerSecond, floor))
            got << QString::fromStdString(a);
        QCOMPARE(got, expected);
    }

    // A stand-in for ping that behaves like iputils for an unprivileged user: it refuses intervals
    // under 2 ms and otherwise prints a recorded run. The baseline must retry at 2 ms and say so.
    void unprivilegedIntervalIsClampedAndNoted() {
        QTemporaryDir dir;
        const QString log = dir.filePath("args.log");
        const QString script = dir.filePath("fake-ping");
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(
                    "#!/bin/sh\n"
                    "printf '%s\\n' \"$*\" >> '%1'\n"
                    "interval=1\n"
                    "while [ $# -gt 0 ]; do [ \"$1\" = -i ] && interval=$2; shift; done\n"
                    "if awk \"BEGIN{exit !($interval < 0.002)}\"; then\n"
                    "  echo 'ping: cannot flood; minimal interval allowed for user is 2ms' >&2; exit 2\n"
                    "fi\n"
                    "cat '%2'\n")
                    .arg(log, QStringLiteral(LE_TEST_DATA_DIR "/icmp/iputils_normal.txt"))
                    .toUtf8());
        f.close();
        QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        const SweepPointResult p =
            run_icmp_point("127.0.0.1", 10'000, 500 * kNanosPerMilli, nullptr, script.toStdString());
        QVERIFY2(p.error.empty(), p.error.c_str());
        QVERIFY2(contains(p.note, "not root") && contains(p.note, "0.002"), p.note.c_str());
        QCOMPARE(p.received, 5ull);
        QFile l(log);
        QVERIFY(l.open(QIODevice::ReadOnly));
        const QStringList calls = QString::fromUtf8(l.readAll()).trimmed().split('\n');
        QVERIFY2(calls.size() == 2, qPrintable(calls.join(" | ")));
        QVERIFY2(calls[0].contains("-i 0.0001"), qPrintable(calls[0]));
        QVERIFY2(calls[1].contains("-i 0.002") && calls[1].contains("-c 250"), qPrintable(calls[1]));
    }

    void missingBinaryIsANote() {
        const SweepPointResult p =
            run_icmp_point("127.0.0.1", 10, 200 * kNanosPerMilli, nullptr, "/nonexistent/ping-xyz");
        QVERIFY2(contains(p.error, "not installed"), p.error.c_str());
        QVERIFY(p.icmp);
    }

    void realPingOnLoopback() {
        if (QStandardPaths::findExecutable("ping").isEmpty())
            QSKIP("no system ping installed");
        const SweepPointResult p = run_icmp_point("127.0.0.1", 50, 600 * kNanosPerMilli);
        if (contains(p.error, "not permitted"))
            QSKIP("the system ping is not permitted here");
        QVERIFY2(p.error.empty(), p.error.c_str());
        QCOMPARE(p.sent, 30ull);
        QCOMPARE(p.received, 30ull);
        QCOMPARE(p.rtt.count(), 30ull);
        QVERIFY2(p.achieved_rate > 35 && p.achieved_rate < 55, qPrintable(QString::number(p.achieved_rate)));
        QVERIFY(p.percentile_us(50) > 0 && p.percentile_us(50) < 5000);
    }
};

QTEST_GUILESS_MAIN(TestIcmp)
#include "tst_icmp.moc"
