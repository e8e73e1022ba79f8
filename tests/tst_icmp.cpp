// The ICMP baseline: the system ping's output parsed from recorded runs, the arguments it gets,
// the unprivileged interval clamp (through a stand-in ping that refuses like iputils), and a real
// ping on loopback.
#include "icmp_baseline.h"

#include <QtTest>

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
