// The agent's request handler without sockets: lines in, answers out. The handshake (with and
// without a token), every request on the endpoint table, and every refusal with its wire code.
// tst_agent covers the same protocol through real control connections.
#include "agent_auth.h"
#include "agent_endpoint_table.h"
#include "agent_protocol.h"
#include "agent_request_handler.h"

#include <QStringList>
#include <QTest>

#include <cstdint>
#include <string>
#include <vector>

using namespace le;
using nlohmann::json;

namespace {

const std::string kClientNonce(64, 'a');
const char* const kSecret = "a secret of a good length, 0123456789";

AgentServerConfig testConfig(const std::string& token, std::vector<std::string>* log) {
    AgentServerConfig c;
    c.token = token;
    c.version = "test-agent";
    c.max_endpoints = 2;
    c.max_tasks = 4;
    c.log = [log](const std::string& line) { log->push_back(line); };
    return c;
}

// One agent for one client, without a socket of its own: what the server shares with its
// connections, and the handler of one connection.
struct Agent {
    explicit Agent(const std::string& token = {})
        : config(testConfig(token, &log))
        , endpoints(config.max_endpoints, config.max_tasks, config.log)
        , handler(config, facts(), endpoints, "test-peer") {}

    static const HostFacts& facts() {
        static const HostFacts f{"agent-host", "Test CPU", 4, "Linux 6.1", "test-agent", kAgentProtocol};
        return f;
    }
    bool logged(const std::string& text) const {
        for (const auto& l : log)
            if (l.find(text) != std::string::npos)
                return true;
        return false;
    }

    std::vector<std::string> log;
    AgentServerConfig config;
    AgentEndpointTable endpoints;
    AgentRequestHandler handler;
};

std::string helloLine(int protocol = kAgentProtocol) {
    return json{{"type", "hello"}, {"protocol", protocol}, {"client", "test"}, {"nonce", kClientNonce}}
        .dump();
}

// Hello (and, with a token, the right answer to the agent's challenge); true once welcomed.
bool greet(Agent& agent, const std::string& token = {}) {
    auto reply = agent.handler.handle(helloLine());
    if (reply.close || reply.messages.empty() || reply.messages.front().value("type", "") != "hello")
        return false;
    if (!token.empty()) {
        const std::string challenge = reply.messages.front().value("challenge", "");
        if (reply.messages.front().contains("proof")) // the client proves first
            return false;
        const json auth{{"type", "auth"}, {"response", client_proof(token, challenge, kClientNonce)}};
        reply = agent.handler.handle(auth.dump());
        if (reply.messages.empty() ||
            reply.messages.back().value("proof", "") != agent_proof(token, kClientNonce, challenge))
            return false;
    }
    return !reply.close && !reply.messages.empty() && reply.messages.back().value("type", "") == "welcome" &&
           agent.handler.authenticated();
}

std::string createLine(int id, int tasks = 0, const std::string& transport = "tcp",
                       const std::string& bind_host = "127.0.0.1") {
    AgentEndpointSpec spec;
    spec.bind_host = bind_host;
    spec.tasks = tasks;
    json j = endpoint_spec_to_json(spec);
    j["transport"] = transport;
    return json{{"type", "create"}, {"id", id}, {"spec", j}}.dump();
}

std::string requestLine(const std::string& type, int id, json extra = json::object()) {
    extra["type"] = type;
    extra["id"] = id;
    return extra.dump();
}

QStringList lines(std::initializer_list<std::string> list) {
    QStringList out;
    for (const auto& l : list)
        out << QString::fromStdString(l);
    return out;
}

} // namespace

class TestAgentHandler : public QObject {
    Q_OBJECT

private slots:
    // After the handshake: each row sends its lines in order; the answer to the last one is checked
    // (type, and code for an error), and so is the number of endpoints left in the table.
    void requests_data() {
        QTest::addColumn<QStringList>("sent");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("code");
        QTest::addColumn<int>("endpoints");

        QTest::newRow("ping") << lines({requestLine("ping", 1)}) << "pong"
                              << "" << 0;
        QTest::newRow("host") << lines({requestLine("host", 1)}) << "host"
                              << "" << 0;
        QTest::newRow("list, empty") << lines({requestLine("list", 1)}) << "endpoints"
                                     << "" << 0;
        QTest::newRow("create") << lines({createLine(1)}) << "created"
                                << "" << 1;
        QTest::newRow("create udp") << lines({createLine(1, 2, "udp")}) << "created"
                                    << "" << 1;
        QTest::newRow("create, list") << lines({createLine(1), requestLine("list", 2)}) << "endpoints"
                                      << "" << 1;
        QTest::newRow("create, destroy")
            << lines({createLine(1), requestLine("destroy", 2, {{"endpoint", 1}})}) << "destroyed"
            << "" << 0;
        QTest::newRow("destroy twice") << lines({createLine(1), requestLine("destroy", 2, {{"endpoint", 1}}),
                                                 requestLine("destroy", 3, {{"endpoint", 1}})})
                                       << "error" << agent_code::kNotFound << 0;
        QTest::newRow("destroy unknown") << lines({requestLine("destroy", 1, {{"endpoint", 42}})}) << "error"
                                         << agent_code::kNotFound << 0;
        QTest::newRow("destroy without endpoint")
            << lines({requestLine("destroy", 1)}) << "error" << agent_code::kInvalid << 0;
        QTest::newRow("destroy negative")
            << lines({requestLine("destroy", 1, {{"endpoint", -1}})}) << "error" << agent_code::kInvalid << 0;
        QTest::newRow("create without spec")
            << lines({requestLine("create", 1)}) << "error" << agent_code::kInvalid << 0;
        QTest::newRow("create, spec no object")
            << lines({requestLine("create", 1, {{"spec", 5}})}) << "error" << agent_code::kInvalid << 0;
        QTest::newRow("create, too many tasks")
            << lines({createLine(1, 5)}) << "error" << agent_code::kInvalid << 0;
        QTest::newRow("create unix") << lines({createLine(1, 0, "unix")}) << "error" << agent_code::kInvalid
                                     << 0;
        QTest::newRow("create over the limit")
            << lines({createLine(1), createLine(2), createLine(3)}) << "error" << agent_code::kLimit << 2;
        // TEST-NET-1 is on no interface here: the pong cannot bind it.
        QTest::newRow("create, address not here")
            << lines({createLine(1, 0, "tcp", "192.0.2.1")}) << "error" << agent_code::kFailed << 0;
        QTest::newRow("unknown request")
            << lines({requestLine("reboot", 1)}) << "error" << agent_code::kBadMessage << 0;
        QTest::newRow("not JSON") << lines({"{nonsense"}) << "error" << agent_code::kBadMessage << 0;
        QTest::newRow("no type") << lines({R"({"id":1})"}) << "error" << agent_code::kBadMessage << 0;
        QTest::newRow("bad id") << lines({R"({"type":"ping","id":-3})"}) << "error" << agent_code::kBadMessage
                                << 0;
    }
    void requests() {
        QFETCH(QStringList, sent);
        QFETCH(QString, type);
        QFETCH(QString, code);
        QFETCH(int, endpoints);
        Agent agent;
        QVERIFY(greet(agent));
        AgentRequestHandler::Reply reply;
        for (const QString& line : sent)
            reply = agent.handler.handle(line.toStdString());
        QVERIFY(!reply.close); // after the handshake a bad request never ends the connection
        QCOMPARE(reply.messages.size(), std::size_t(1));
        const json& answer = reply.messages.front();
        QCOMPARE(QString::fromStdString(answer.value("type", "")), type);
        QCOMPARE(QString::fromStdString(answer.value("code", "")), code);
        if (type == "error")
            QVERIFY(!answer.value("message", "").empty());
        // Answers to parsed requests repeat their id.
        const auto parsed = parse_agent_message(sent.last().toStdString());
        if (parsed.message && parsed.message->id >= 0)
            QCOMPARE(answer.value("id", std::int64_t{-1}), parsed.message->id);
        QCOMPARE(agent.endpoints.size(), std::size_t(endpoints));
        QCOMPARE(agent.handler.authenticated(), true);
    }

    void createdEndpointIsListed() {
        Agent agent;
        QVERIFY(greet(agent));
        const auto created = agent.handler.handle(createLine(1, 3, "udp"));
        const AgentEndpointInfo info = endpoint_info_from_json(created.messages.at(0).at("endpoint"));
        QCOMPARE(info.id, 1);
        QCOMPARE(info.spec.tasks, 3);
        QCOMPARE(info.endpoint.transport, Transport::Udp);
        QVERIFY(info.endpoint.port != 0);
        QVERIFY(agent.logged("endpoint 1 created: udp://127.0.0.1:"));
        const auto listed = agent.handler.handle(requestLine("list", 2));
        const json& all = listed.messages.at(0).at("endpoints");
        QCOMPARE(all.size(), std::size_t(1));
        QCOMPARE(endpoint_info_from_json(all.at(0)).endpoint.port, info.endpoint.port);
        const auto host = agent.handler.handle(requestLine("host", 3));
        QCOMPARE(host_facts_from_json(host.messages.at(0).at("host")).hostname, std::string("agent-host"));
        agent.handler.handle(requestLine("destroy", 4, {{"endpoint", 1}}));
        QVERIFY(agent.logged("endpoint 1 destroyed"));
    }

    // From the first line: what the agent answers last, and whether it then closes.
    void handshake_data() {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QStringList>("sent");
        QTest::addColumn<QString>("type"); // of the last message answered; empty: no answer
        QTest::addColumn<QString>("code");
        QTest::addColumn<bool>("closes");
        QTest::addColumn<bool>("authenticated");

        const json wrongAuth{{"type", "auth"}, {"response", std::string(64, '0')}};
        QTest::newRow("no token: hello") << "" << lines({helloLine()}) << "welcome"
                                         << "" << false << true;
        QTest::newRow("request before hello")
            << "" << lines({requestLine("list", 1)}) << "error" << agent_code::kAuthRequired << true << false;
        QTest::newRow("garbage before hello")
            << "" << lines({"GET / HTTP/1.1"}) << "error" << agent_code::kBadMessage << true << false;
        QTest::newRow("other protocol") << "" << lines({helloLine(kAgentProtocol + 1)}) << "error"
                                        << agent_code::kVersion << true << false;
        QTest::newRow("hello without protocol")
            << "" << lines({R"({"type":"hello"})"}) << "error" << agent_code::kBadMessage << true << false;
        QTest::newRow("nothing after a refusal") << "" << lines({requestLine("list", 1), helloLine()}) << ""
                                                 << "" << false << false;
        QTest::newRow("token: hello") << kSecret << lines({helloLine()}) << "hello"
                                      << "" << false << false;
        QTest::newRow("token: hello without nonce")
            << kSecret << lines({json{{"type", "hello"}, {"protocol", kAgentProtocol}}.dump()}) << "error"
            << agent_code::kBadMessage << true << false;
        QTest::newRow("token: wrong answer") << kSecret << lines({helloLine(), wrongAuth.dump()}) << "error"
                                             << agent_code::kAuth << true << false;
        QTest::newRow("token: request instead of auth")
            << kSecret << lines({helloLine(), requestLine("list", 1)}) << "error" << agent_code::kAuthRequired
            << true << false;
    }
    void handshake() {
        QFETCH(QString, token);
        QFETCH(QStringList, sent);
        QFETCH(QString, type);
        QFETCH(QString, code);
        QFETCH(bool, closes);
        QFETCH(bool, authenticated);
        Agent agent(token.toStdString());
        AgentRequestHandler::Reply reply;
        for (const QString& line : sent)
            reply = agent.handler.handle(line.toStdString());
        QCOMPARE(reply.close, closes);
        QCOMPARE(
            QString::fromStdString(reply.messages.empty() ? "" : reply.messages.back().value("type", "")),
            type);
        QCOMPARE(
            QString::fromStdString(reply.messages.empty() ? "" : reply.messages.back().value("code", "")),
            code);
        QCOMPARE(agent.handler.authenticated(), authenticated);
        if (closes) {
            QVERIFY(agent.handler.closing());
            QVERIFY(agent.logged("test-peer: refused: "));
        }
    }

    void tokenHandshake() {
        Agent agent(kSecret);
        QVERIFY(greet(agent, kSecret));
        QVERIFY(agent.logged("test-peer: authenticated"));
        QCOMPARE(agent.handler.handle(requestLine("ping", 1)).messages.at(0).value("type", ""),
                 std::string("pong"));
    }

    void timeOut() {
        Agent waiting;
        auto reply = waiting.handler.timed_out();
        QVERIFY(reply.close);
        QCOMPARE(reply.messages.at(0).value("code", ""), std::string(agent_code::kTimeout));
        QCOMPARE(reply.messages.at(0).value("message", ""), std::string("no hello within 5 s; closing"));
        QVERIFY(waiting.handler.timed_out().messages.empty()); // closing already

        Agent authenticating(kSecret);
        authenticating.handler.handle(helloLine());
        QCOMPARE(authenticating.handler.timed_out().messages.at(0).value("message", ""),
                 std::string("no authentication within 5 s; closing"));

        Agent welcomed;
        QVERIFY(greet(welcomed));
        reply = welcomed.handler.timed_out();
        QVERIFY(!reply.close);
        QVERIFY(reply.messages.empty());
    }

    // What the connection refuses itself (an over-long line) goes through the handler too.
    void connectionRefusal() {
        Agent agent;
        QVERIFY(greet(agent));
        const auto reply = agent.handler.refuse(agent_code::kBadMessage, "message too long; closing");
        QVERIFY(reply.close);
        QCOMPARE(reply.messages.at(0).value("code", ""), std::string(agent_code::kBadMessage));
        QVERIFY(agent.logged("test-peer: refused: message too long; closing"));
        QVERIFY(agent.handler.handle(requestLine("ping", 1)).messages.empty());
    }
};

QTEST_GUILESS_MAIN(TestAgentHandler)
#include "tst_agent_handler.moc"
