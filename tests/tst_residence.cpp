// The peer's residence on its way to the ping's records: the chunks a separate pong reports, how an
// interval takes them (residence_source.h's alignment), latency-pong's residence line, and the
// agent's residence request (its codec, a real endpoint's counts, an old agent's refusal).
#include "test_agent.h"

#include "agent_residence.h"
#include "residence_chunks.h"
#include "residence_line.h"

#include <QTest>

#include <initializer_list>

#include <poll.h>

namespace {

ResidenceChunk chunk(Nanos start, Nanos end, std::initializer_list<Nanos> values,
                     std::uint64_t unstamped = 0) {
    ResidenceChunk c;
    c.start = start;
    c.end = end;
    for (const Nanos v : values)
        c.data.residence.record(v);
    c.data.unstamped = unstamped;
    return c;
}

} // namespace

class TestResidence : public QObject {
    Q_OBJECT
private slots:
    void chunksGoToTheIntervalTheirEndFallsIn() {
        ResidenceChunks source(100 * kNanosPerMilli);
        source.push(chunk(0, 100, {10, 20}));
        source.push(chunk(100, 200, {30}, 1));
        source.push(chunk(200, 300, {40, 50, 60}));
        ResidenceData out;
        out.residence.record(999); // take() starts from nothing
        // No chunk ends by 50: this interval has no peer's side, and says why.
        QCOMPARE(
            QString::fromStdString(source.take(50, out)),
            QStringLiteral("no residence report ended within this interval (the pong reports every 100 ms)"));
        QCOMPARE(out.residence.count(), std::uint64_t(0));
        // By 250: the first two, whole (the second straddles no boundary; a chunk ending at the
        // boundary itself belongs to it).
        QVERIFY(source.take(200, out).empty());
        QCOMPARE(out.residence.count(), std::uint64_t(3));
        QCOMPARE(out.unstamped, std::uint64_t(1));
        QCOMPARE(out.residence.min(), std::int64_t(10));
        QCOMPARE(out.residence.max(), std::int64_t(30));
        // The third straddles 250: it waits for the interval its end falls in.
        QVERIFY(!source.take(250, out).empty());
        QVERIFY(source.take(400, out).empty());
        QCOMPARE(out.residence.count(), std::uint64_t(3));
        QCOMPARE(out.residence.min(), std::int64_t(40));
        QCOMPARE(out.unstamped, std::uint64_t(0));
        // Nothing is counted twice, nothing lost: 2 + 1 + 3 requests went to exactly one interval.
        QVERIFY(!source.take(10'000, out).empty());
        // A producer that says it cannot measure: every take says so, whatever was queued.
        source.push(chunk(400, 500, {7}));
        source.set_unavailable("engine asio");
        QCOMPARE(QString::fromStdString(source.take(600, out)), QStringLiteral("engine asio"));
        QCOMPARE(out.residence.count(), std::uint64_t(0));
    }

    void chunksAreBounded() {
        ResidenceChunks source;
        for (std::size_t i = 0; i < ResidenceChunks::kMaxChunks + 10; ++i)
            source.push(chunk(Nanos(i), Nanos(i + 1), {5}));
        ResidenceData out;
        QVERIFY(source.take(1'000'000, out).empty());
        QCOMPARE(out.residence.count(), std::uint64_t(ResidenceChunks::kMaxChunks)); // the newest kept
    }

    void lineRoundTrip() {
        ResidenceChunk c = chunk(123'456'789, 223'456'789, {1'000, 2'000, 2'000, 5'000'000}, 3);
        c.data.discarded = 2;
        const std::string line = format_residence_line(c);
        QVERIFY(line.rfind("residence 123456789 223456789 3 2 HIST", 0) == 0); // the interval logs' base64
        const ResidenceLine back = parse_residence_line(line + "\r");
        QVERIFY(back.chunk && back.unavailable.empty());
        QCOMPARE(back.chunk->start, c.start);
        QCOMPARE(back.chunk->end, c.end);
        QCOMPARE(back.chunk->data.unstamped, std::uint64_t(3));
        QCOMPARE(back.chunk->data.discarded, std::uint64_t(2));
        QCOMPARE(back.chunk->data.residence.count(), std::uint64_t(4));
        QCOMPARE(back.chunk->data.residence.value_at_percentile(50),
                 c.data.residence.value_at_percentile(50));

        const ResidenceLine why = parse_residence_line(format_residence_unavailable("engine asio: not yet"));
        QVERIFY(!why.chunk);
        QCOMPARE(QString::fromStdString(why.unavailable), QStringLiteral("engine asio: not yet"));
    }

    void badLinesSayWhy_data() {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("error");
        QTest::newRow("not ours") << "listening on udp://x"
                                  << "not a residence line";
        QTest::newRow("no fields") << "residence "
                                   << "START_NS is missing";
        QTest::newRow("text") << "residence 1 x 0 0 HIST"
                              << "END_NS 'x' is not a non-negative integer";
        QTest::newRow("negative") << "residence -1 2 0 0 HIST"
                                  << "START_NS '-1'";
        QTest::newRow("backwards") << "residence 5 4 0 0 HIST"
                                   << "END_NS is before START_NS";
        QTest::newRow("no histogram") << "residence 1 2 0 0"
                                      << "HISTOGRAM is missing";
        QTest::newRow("extra") << "residence 1 2 0 0 HIST x"
                               << "more than five fields";
        QTest::newRow("not base64") << "residence 1 2 0 0 H!"
                                    << "base64";
        QTest::newRow("not hdr") << "residence 1 2 0 0 AAAAAAAAAAAAAAAA"
                                 << "not a V2 compressed HdrHistogram";
        QTest::newRow("no reason") << "residence unavailable: "
                                   << "without a reason";
    }
    void badLinesSayWhy() {
        QFETCH(QString, line);
        QFETCH(QString, error);
        try {
            parse_residence_line(line.toStdString());
            QFAIL("accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(error), e.what());
        }
    }

    void residenceRoundTrip() {
        AgentResidence r;
        r.endpoint = 3;
        r.start = 10;
        r.end = 20'000;
        for (const Nanos v : {1'500, 2'500, 2'500, 9'000'000})
            r.data.residence.record(v);
        r.data.unstamped = 1;
        r.data.discarded = 2;
        const AgentResidence back = residence_from_json(nlohmann::json::parse(residence_to_json(r).dump()));
        QCOMPARE(back.endpoint, 3);
        QCOMPARE(back.start, r.start);
        QCOMPARE(back.end, r.end);
        QCOMPARE(back.data.unstamped, std::uint64_t(1));
        QCOMPARE(back.data.discarded, std::uint64_t(2));
        QCOMPARE(back.data.residence.count(), std::uint64_t(4));
        QCOMPARE(back.data.residence.value_at_percentile(50), r.data.residence.value_at_percentile(50));
        QVERIFY(back.unavailable.empty());
        AgentResidence none;
        none.endpoint = 1;
        none.unavailable = "engine asio";
        QCOMPARE(residence_from_json(residence_to_json(none)).unavailable, std::string("engine asio"));

        const auto refused = [&](const char* key, const nlohmann::json& value) {
            nlohmann::json j = residence_to_json(r);
            if (value.is_null())
                j.erase(key);
            else
                j[key] = value;
            try {
                residence_from_json(j);
            } catch (const AgentProtocolError& e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        QVERIFY(refused("histogram", nullptr).contains("field 'histogram' is missing"));
        QVERIFY(refused("histogram", "H!").contains("field 'histogram'"));
        QVERIFY(refused("histogram", "AAAAAAAAAAAAAAAA").contains("not a V2 compressed HdrHistogram"));
        QVERIFY(refused("end_ns", 5).contains("field 'end_ns'")); // before start_ns
        QVERIFY(refused("unstamped", -1).contains("field 'unstamped'"));
        QVERIFY(refused("endpoint", "x").contains("field 'endpoint'"));
        QVERIFY(refused("unavailable", "").contains("field 'unavailable' is empty"));

        // The spec's measure_residence is optional (clients of before it), a boolean when given.
        nlohmann::json spec = endpoint_spec_to_json(AgentEndpointSpec{});
        QVERIFY(spec["measure_residence"] == false);
        spec.erase("measure_residence");
        QVERIFY(!endpoint_spec_from_json(spec).measure_residence);
        spec["measure_residence"] = true;
        QVERIFY(endpoint_spec_from_json(spec).measure_residence);
        spec["measure_residence"] = "yes";
        QVERIFY_THROWS_EXCEPTION(AgentProtocolError, endpoint_spec_from_json(spec));
    }

    // Through a real agent: an endpoint asked to measure reports every request exactly once; one
    // not asked says so. Then the residence source a ping polls, on the same endpoint.
    void residenceFromAnEndpoint() {
        TestAgent agent;
        const std::shared_ptr<AgentClient> client = AgentClient::connect(agent.url(), {});
        AgentEndpointSpec spec;
        spec.transport = Transport::Udp;
        spec.engine = EngineKind::Blocking;
        spec.bind_host = "127.0.0.1";
        spec.measure_residence = true;
        const AgentEndpointInfo info = client->create_endpoint(spec);
        const auto echo = [&](int n) {
            const Fd fd = connect_to(info.endpoint, kNanosPerSecond);
            char buffer[64] = {};
            for (int i = 0; i < n; ++i) {
                QCOMPARE(::send(fd.get(), buffer, sizeof buffer, 0), ssize_t(sizeof buffer));
                pollfd p{fd.get(), POLLIN, 0};
                QCOMPARE(::poll(&p, 1, 5000), 1);
                QCOMPARE(::recv(fd.get(), buffer, sizeof buffer, 0), ssize_t(sizeof buffer));
            }
        };
        // A request's residence is recorded just after its echo is sent, so an answer may miss the
        // newest one: it comes with the next answer. Every request counts exactly once in all.
        const auto counted = [](const ResidenceData& d) {
            return d.residence.count() + d.unstamped + d.discarded;
        };
        // The kernel switches packet stamping on a moment after the first socket asks for it (a
        // deferred static key): echo until a stamped request shows, then count exactly.
        QElapsedTimer t;
        t.start();
        bool stamped = false;
        while (!stamped && t.elapsed() < 3000) {
            echo(1);
            QTest::qWait(5);
            stamped = client->residence(info.id, kNanosPerSecond).data.residence.count() > 0;
        }
        QVERIFY2(stamped, "no request got a kernel RX stamp");
        QTest::qWait(5); // the last one's residence is recorded just after its echo
        client->residence(info.id, kNanosPerSecond);
        echo(7);
        const Nanos before = now_ns();
        const AgentResidence first = client->residence(info.id, kNanosPerSecond);
        QVERIFY2(first.unavailable.empty(), first.unavailable.c_str());
        QVERIFY(counted(first.data) >= 6 && counted(first.data) <= 7);
        QVERIFY(first.start < first.end && first.end <= now_ns() && first.end >= before); // one host here
        echo(3);
        const AgentResidence second = client->residence(info.id, kNanosPerSecond);
        QCOMPARE(second.start, first.end); // since the last request
        std::uint64_t total = counted(first.data) + counted(second.data);
        AgentResidenceSource source(client, info.id, kNanosPerSecond);
        ResidenceData out;
        echo(5);
        t.start();
        while (total < 15 && t.elapsed() < 3000) {
            QVERIFY(source.take(now_ns(), out).empty());
            total += counted(out);
        }
        QCOMPARE(total, std::uint64_t(15));
        QVERIFY(source.take(now_ns(), out).empty()); // and nothing more
        QCOMPARE(counted(out), std::uint64_t(0));

        spec.measure_residence = false;
        const AgentEndpointInfo plain = client->create_endpoint(spec);
        QVERIFY(client->residence(plain.id, kNanosPerSecond).unavailable.find("without measure_residence") !=
                std::string::npos);
        AgentResidenceSource plainSource(client, plain.id, kNanosPerSecond);
        QCOMPARE(QString::fromStdString(plainSource.take(now_ns(), out)),
                 QStringLiteral("the agent's endpoint does not measure its residence (the endpoint was "
                                "created without measure_residence)"));
        QVERIFY_THROWS_EXCEPTION(AgentError, client->residence(99, kNanosPerSecond)); // not-found
        QVERIFY(client->connected());                                                 // and goes on
    }

    // An agent of before the residence request answers error bad-message: the peer's side ends with
    // that reason, the run goes on. (A client playing the old agent's answer, as AgentClient reports it.)
    void oldAgentDoesNotReportResidence() {
        struct OldAgent final : AgentClient {
            HostFacts facts;
            const HostFacts& host_facts() const override { return facts; }
            AgentEndpointInfo create_endpoint(const AgentEndpointSpec&) override { return {}; }
            void destroy_endpoint(int) override {}
            std::vector<AgentEndpointInfo> list_endpoints() override { return {}; }
            AgentResidence residence(int, Nanos) override {
                ++asked;
                throw AgentError("agent tcp://x: unknown request 'residence'", false,
                                 agent_code::kBadMessage);
            }
            Nanos ping() override { return 0; }
            bool connected() const override { return true; }
            void close() override {}
            int asked = 0;
        };
        const auto old = std::make_shared<OldAgent>();
        AgentResidenceSource source(old, 1, kNanosPerSecond);
        ResidenceData out;
        for (int i = 0; i < 3; ++i)
            QCOMPARE(QString::fromStdString(source.take(now_ns(), out)),
                     QStringLiteral("the agent does not report residence"));
        QCOMPARE(old->asked, 1); // asked once: the answer holds for the run
    }
};

QTEST_GUILESS_MAIN(TestResidence)
#include "tst_residence.moc"
