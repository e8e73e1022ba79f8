// A/B comparison from the command line: variants, alternation, table, ratios.
#include "compare.h"

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
            // machine loses a few percent), so only a shortfall beyond scheduling noise is a failure.
            QVERIFY2(r.summary.achieved_rate < 2040 && r.summary.achieved_rate > 1600,
                     qPrintable(QString("achieved %1 msg/s of 2000").arg(r.summary.achieved_rate)));
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
