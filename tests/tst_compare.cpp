// A/B comparison from the command line: variants, alternation, table, ratios.
#include "compare.h"
#include "schedule_check.h"

#include <fmt/format.h>

#include <QtTest>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

using namespace le;

class TestCompare : public QObject {
    Q_OBJECT

private slots:
    void variantsNameWhatVaries() {
        PingConfig base;
        auto v = make_variants(base, {EngineKind::Blocking, EngineKind::Asio}, {}, {});
        QCOMPARE(v.size(), 2u);
        QCOMPARE(v[0].name, std::string("blocking"));
        QCOMPARE(v[1].config.engine, EngineKind::Asio);
        v = make_variants(base, {EngineKind::Spin}, {Transport::Tcp, Transport::Udp}, {0, 100});
        QCOMPARE(v.size(), 4u);
        QCOMPARE(v[3].name, std::string("udp/100 tasks"));
        QCOMPARE(v[3].config.tasks, 100);
        QCOMPARE(v[3].config.transport, Transport::Udp);
    }

    void runsAlternatelyInSlices() {
        PingConfig base;
        base.rate = 2000;
        base.transport = Transport::Udp;
        const auto variants = make_variants(base, {EngineKind::Blocking, EngineKind::Asio}, {}, {});
        CompareOptions o;
        o.slice = 200 * kNanosPerMilli;
        o.total_per_variant = 400 * kNanosPerMilli;
        o.warmup_per_slice = 50 * kNanosPerMilli;
        std::vector<std::size_t> order;
        const auto results = run_compare(variants, o, {}, nullptr,
                                         [&](std::size_t v, const IntervalRecord&) { order.push_back(v); });
        QCOMPARE(order, (std::vector<std::size_t>{0, 1, 0, 1})); // A B A B
        QCOMPARE(results.size(), 2u);
        for (const auto& r : results) {
            QVERIFY(r.error.empty());
            QCOMPARE(r.rtt.count(), r.summary.received);
            // The slices add up: the achieved rate is the variant's sends over its measured time.
            QVERIFY(std::abs(r.summary.duration_s - 0.4) < 0.05);
            QCOMPARE(r.summary.achieved_rate, static_cast<double>(r.summary.sent) / r.summary.duration_s);
            // Closed loop never sends ahead of the schedule; a late echo costs its slot (a busy CI
            // machine loses a few percent), counted skipped: the slices' slots add up to 2000/s.
            const QString schedule =
                scheduleProblem(r.summary.sent, r.summary.skipped, r.summary.duration_s, 2000);
            QVERIFY2(schedule.isEmpty(), qPrintable(schedule));
        }
        const std::string table = format_compare_table(results);
        QVERIFY(table.find("blocking") != std::string::npos && table.find("asio") != std::string::npos);
        QVERIFY(table.find("1.00") != std::string::npos);
    }

    void commandLine() {
        QProcess p;
        p.start(LE_PING_PATH, {"compare", "--engines", "blocking,asio", "--transport", "udp", "--rate", "2k",
                               "--duration", "600ms", "--slice", "300ms", "--format", "json"});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        const QJsonObject a = QJsonDocument::fromJson(lines[0]).object();
        const QJsonObject b = QJsonDocument::fromJson(lines[1]).object();
        QCOMPARE(a["type"].toString(), QStringLiteral("compare"));
        QCOMPARE(a["variant"].toString(), QStringLiteral("blocking"));
        QCOMPARE(b["variant"].toString(), QStringLiteral("asio"));
        QCOMPARE(a["p50_ratio"].toDouble(), 1.0);
        QVERIFY(b["received"].toDouble() > 0);
        QVERIFY(std::abs(b["p50_ratio"].toDouble() - b["p50_us"].toDouble() / a["p50_us"].toDouble()) < 1e-9);
    }

    // With the kernel-timestamp split, each variant carries its parts: blocking UDP has send, wire and
    // wake, each positive and within the variant's RTT, over every stamped echo of its slices; Unix
    // streams have no kernel timestamps and say so, with no numbers. Counts and bounds only.
    void variantsCarryTheSplit() {
        PingConfig base;
        base.rate = 2000;
        base.kernel_timestamps = true;
        const auto variants =
            make_variants(base, {EngineKind::Blocking}, {Transport::Udp, Transport::Unix}, {});
        CompareOptions o;
        o.slice = 150 * kNanosPerMilli;
        o.total_per_variant = 300 * kNanosPerMilli;
        o.warmup_per_slice = 50 * kNanosPerMilli;
        const auto results = run_compare(variants, o);
        QCOMPARE(results.size(), 2u);
        const IntervalRecord& udp = results[0].summary;
        QVERIFY2(results[0].error.empty(), results[0].error.c_str());
        QCOMPARE(udp.split_available, std::string("yes"));
        // Both slices' part histograms merged: every echo has parts or is counted as without.
        QCOMPARE(results[0].split.send.count(), udp.split.send.count);
        QCOMPARE(udp.split.send.count + udp.split.unstamped + udp.split.discarded, udp.received);
        QVERIFY(udp.split.send.count > 0);
        for (const PartStats* part : {&udp.split.send, &udp.split.wire, &udp.split.wake}) {
            QCOMPARE(part->count, udp.split.send.count);
            QVERIFY(part->p50_us > 0);
            QVERIFY2(part->p50_us <= part->p99_us && part->p99_us <= part->max_us &&
                         part->max_us <= udp.max_us,
                     qPrintable(QString("part p50 %1 p99 %2 max %3, RTT max %4")
                                    .arg(part->p50_us)
                                    .arg(part->p99_us)
                                    .arg(part->max_us)
                                    .arg(udp.max_us)));
        }
        // The in-process pong measured its residence: inside wire, so its median too.
        QCOMPARE(udp.peer_split_available, std::string("yes"));
        QVERIFY(udp.split.pong.p50_us > 0 && udp.split.pong.p50_us <= udp.split.wire.p50_us);
        const IntervalRecord& unix_ = results[1].summary;
        QVERIFY2(results[1].error.empty(), results[1].error.c_str());
        QVERIFY(unix_.received > 0);
        QVERIFY2(unix_.split_available.starts_with("no: unix stream sockets"), unix_.split_available.c_str());
        QCOMPARE(unix_.split.send.count, 0u);
        QCOMPARE(results[1].split.wire.count(), 0u);
        const std::string table = format_compare_table(results);
        QVERIFY(table.find("where the time went") != std::string::npos);
        QVERIFY(table.find("\nunix                     no: unix stream sockets") != std::string::npos);
        QVERIFY(table.find(fmt::format("\nudp                      {:>9} {:>9.2f}", udp.split.send.count,
                                       udp.split.send.p50_us)) != std::string::npos);
    }

    // `compare --kernel-timestamps` carries the split in its JSON (and null where there is none).
    void commandLineSplit() {
        QProcess p;
        p.start(LE_PING_PATH,
                {"compare", "--engines", "blocking", "--transports", "udp,unix", "--rate", "2k", "--duration",
                 "150ms", "--slice", "150ms", "--format", "json", "--kernel-timestamps"});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        const QJsonObject udp = QJsonDocument::fromJson(lines[0]).object();
        const QJsonObject unix_ = QJsonDocument::fromJson(lines[1]).object();
        QCOMPARE(udp["split_available"].toString(), QStringLiteral("yes"));
        for (const char* part : {"send", "wire", "wake"}) {
            const QJsonObject o = udp["split"].toObject()[part].toObject();
            QVERIFY(o["p50_us"].toDouble() > 0);
            QVERIFY(o["p99_us"].toDouble() <= udp["max_us"].toDouble());
        }
        QVERIFY(unix_["split_available"].toString().startsWith("no: "));
        QVERIFY(unix_["split"].isNull());
    }

    void badInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("engine") << QStringList{"compare", "--engines", "blocking,turbo"};
        QTest::newRow("slice") << QStringList{"compare", "--slice", "10ms"};
        QTest::newRow("longer slice") << QStringList{"compare", "--duration", "1s", "--slice", "2s"};
        QTest::newRow("tasks") << QStringList{"compare", "--tasks", "0,lots"};
    }
    void badInput() {
        QFETCH(QStringList, args);
        QProcess p;
        p.start(LE_PING_PATH, args);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("error"));
    }
};

QTEST_GUILESS_MAIN(TestCompare)
#include "tst_compare.moc"
