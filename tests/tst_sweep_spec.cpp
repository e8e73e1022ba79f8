// Sweep grids: expansion in measuring order, the presets, and refusals of bad specs.
#include "sweep_test_support.h"

class TestSweepSpec : public QObject {
    Q_OBJECT

private slots:
    void expandsInMeasuringOrder() {
        SweepSpec s;
        s.rates = {10, kRateInf};
        s.tasks = {0, 10};
        s.transports = {Transport::Tcp, Transport::Udp};
        s.repeat = 2;
        s.icmp = true;
        const auto points = expand(s);
        QCOMPARE(points.size(), 2u * 2 * 2 * 2 + 2);
        std::set<std::string> keys;
        for (std::size_t i = 0; i < points.size(); ++i) {
            QCOMPARE(points[i].index, i);
            keys.insert(points[i].key());
        }
        QCOMPARE(keys.size(), points.size());
        // Rates innermost, then tasks, transport; ICMP closes the first repetition.
        QCOMPARE(points[0].config.rate, 10.0);
        QCOMPARE(points[1].config.rate, kRateInf);
        QCOMPARE(points[2].config.tasks, 10);
        QCOMPARE(points[4].config.transport, Transport::Udp);
        QVERIFY(points[8].icmp && points[9].icmp);
        QCOMPARE(points[8].config.payload, kIcmpPayload);
        QCOMPARE(points[10].repetition, 1);
        QVERIFY(!points[10].icmp);
        QCOMPARE(points[0].key(), std::string("tcp/blocking/tasks=0/payload=64/rate=10/rep=0"));
        QCOMPARE(points[9].key(), std::string("icmp/payload=56/rate=inf/rep=0"));
        QCOMPARE(points[0].config.duration, s.duration);
        QCOMPARE(points[0].config.warmup, s.warmup);
    }

    void presets_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("points");
        QTest::addColumn<double>("maxMinutes");
        // study: 8 rates x 4 task counts x TCP, UDP, and ICMP at the 8 rates.
        QTest::newRow("study") << "study" << 8 * 4 * 2 + 8 << 80.0;
        QTest::newRow("quick") << "quick" << 5 * 2 + 5 << 1.25;
        // frameworks: 5 rates x 3 task counts x 6 engines x TCP, UDP, and ICMP at the 5 rates.
        QTest::newRow("frameworks") << "frameworks" << 5 * 3 * 6 * 2 + 5 << 5.0;
    }
    void presets() {
        QFETCH(QString, name);
        QFETCH(int, points);
        QFETCH(double, maxMinutes);
        const SweepSpec s = preset(name.toStdString());
        validate(s);
        const auto ps = expand(s);
        QCOMPARE(int(ps.size()), points);
        Nanos total = 0;
        for (const auto& p : ps)
            total += planned_time(s, p);
        QVERIFY2(to_seconds(total) / 60 <= maxMinutes, qPrintable(QString::number(to_seconds(total))));
        if (name == "study") {
            QCOMPARE(s.rates, (std::vector<double>{1, 10, 100, 1e3, 1e4, 1e5, 1e6, kRateInf}));
            QCOMPARE(s.tasks, (std::vector<int>{0, 10, 100, 1000}));
            QCOMPARE(s.payloads, (std::vector<std::size_t>{64}));
        }
        if (name == "frameworks") {
            QCOMPARE(s.rates, (std::vector<double>{100, 1e3, 1e4, 1e5, kRateInf}));
            QCOMPARE(s.tasks, (std::vector<int>{0, 10, 100}));
            QCOMPARE(s.engines,
                     (std::vector<EngineKind>{EngineKind::Blocking, EngineKind::Asio, EngineKind::Uring,
                                              EngineKind::UringSqpoll, EngineKind::Libuv, EngineKind::Spin}));
            QCOMPARE(s.transports, (std::vector<Transport>{Transport::Tcp, Transport::Udp}));
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, preset("slow"));
    }

    void rejectsBadSpecs_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no rates") << 0 << "at least one rate";
        QTest::newRow("twice") << 1 << "listed twice";
        QTest::newRow("peer transport") << 2 << "not the peer's";
        QTest::newRow("udp payload") << 3 << "payload";
        QTest::newRow("short") << 4 << "at least 100 ms";
        QTest::newRow("repeat") << 5 << "repeat";
    }
    void rejectsBadSpecs() {
        QFETCH(int, which);
        QFETCH(QString, expected);
        SweepSpec s;
        switch (which) {
        case 0:
            s.rates.clear();
            break;
        case 1:
            s.tasks = {0, 10, 0};
            break;
        case 2:
            s.base.peer = parse_endpoint("udp://127.0.0.1:9");
            s.transports = {Transport::Tcp};
            break;
        case 3:
            s.transports = {Transport::Udp};
            s.payloads = {64, 100'000};
            break;
        case 4:
            s.duration = 10 * kNanosPerMilli;
            break;
        case 5:
            s.repeat = 0;
            break;
        }
        try {
            validate(s);
            QFAIL("accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSweepSpec)
#include "tst_sweep_spec.moc"
