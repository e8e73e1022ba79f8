// The agent's control protocol on loopback (no root needed): the parser, the challenge-response,
// and every refusal with its reason on both ends (versions, tokens, fake agents, commands before
// hello, garbage, oversized lines, the hello deadline).
#include "test_agent.h"

class TestAgentProtocol : public QObject {
    Q_OBJECT

private slots:
    void parserNeverAccepts_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("error");
        QTest::newRow("empty") << QByteArray() << "not JSON";
        QTest::newRow("garbage") << QByteArray("garbage \x01\xff") << "not JSON";
        QTest::newRow("array") << QByteArray("[1,2]") << "expected a JSON object";
        QTest::newRow("no-type") << QByteArray(R"({"id":1})") << "no \"type\"";
        QTest::newRow("type-number") << QByteArray(R"({"type":7})") << "no \"type\"";
        QTest::newRow("negative-id") << QByteArray(R"({"type":"ping","id":-1})") << "non-negative";
        QTest::newRow("deep") << QByteArray(10'000, '[') << "nests deeper";
        QTest::newRow("oversized") << QByteArray(R"({"type":")") + QByteArray(70'000, 'a') + "\"}"
                                   << "longer than";
        QTest::newRow("bad-utf8") << QByteArray("{\"type\":\"\xc3\x28\"}") << "not JSON";
    }
    void parserNeverAccepts() {
        QFETCH(QByteArray, line);
        QFETCH(QString, error);
        const AgentParseResult r = parse_agent_message(std::string_view(line.constData(), line.size()));
        QVERIFY(!r.message);
        QVERIFY2(QString::fromStdString(r.error).contains(error), r.error.c_str());
    }

    void parserReadsMessages() {
        const AgentParseResult r = parse_agent_message(R"({"type":"create","id":42,"spec":{}})"
                                                       "\r");
        QVERIFY2(r.message, r.error.c_str());
        QCOMPARE(r.message->type, std::string("create"));
        QCOMPARE(r.message->id, 42);
        AgentEndpointSpec spec;
        spec.transport = Transport::Udp;
        spec.engine = EngineKind::Spin;
        spec.port = 4321;
        spec.tasks = 7;
        spec.delay = 3 * kNanosPerMilli;
        spec.loss_percent = 12.5;
        const AgentEndpointSpec back = endpoint_spec_from_json(endpoint_spec_to_json(spec));
        QCOMPARE(back.transport, spec.transport);
        QCOMPARE(back.engine, spec.engine);
        QCOMPARE(back.port, spec.port);
        QCOMPARE(back.tasks, 7);
        QCOMPARE(back.delay, spec.delay);
        QCOMPARE(back.loss_percent, 12.5);
        nlohmann::json bad = endpoint_spec_to_json(spec);
        bad["tasks"] = 5000;
        QVERIFY_THROWS_EXCEPTION(AgentProtocolError, endpoint_spec_from_json(bad, 1000));
        bad = endpoint_spec_to_json(spec);
        bad["transport"] = "unix";
        QVERIFY_THROWS_EXCEPTION(AgentProtocolError, endpoint_spec_from_json(bad));
    }

    void proofsAreMutualAndFresh() {
        const std::string a = random_nonce(), b = random_nonce();
        QVERIFY(is_nonce(a));
        QVERIFY(a != b);
        const std::string agent = agent_proof(kToken, a, b), client = client_proof(kToken, b, a);
        QCOMPARE(agent.size(), std::size_t(64));
        QVERIFY(agent != client); // labelled: one side's proof is no answer for the other
        QVERIFY(proofs_equal(client, client_proof(kToken, b, a)));
        QVERIFY(!proofs_equal(client, client_proof("other", b, a)));
        QVERIFY(!proofs_equal(client, client.substr(1)));
        // RFC 4231 test case 2.
        QCOMPARE(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
                 std::string("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    }

    void helloGivesHostFacts() {
        TestAgent agent;
        const auto client = AgentClient::connect(agent.url(), "");
        char name[256] = {};
        gethostname(name, sizeof name - 1);
        QCOMPARE(client->host_facts().hostname, std::string(name));
        QCOMPARE(client->host_facts().protocol, kAgentProtocol);
        QCOMPARE(client->host_facts().agent_version, std::string("test-agent"));
        QCOMPARE(client->host_facts().cores, int(std::thread::hardware_concurrency()));
        QVERIFY(client->host_facts().kernel.rfind("Linux ", 0) == 0);
        QVERIFY(client->ping() > 0);
        QVERIFY(client->connected());
    }

    void versionMismatchRefused() {
        TestAgent agent;
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        s.write(R"({"type":"hello","protocol":3,"nonce":"x"})"
                "\n");
        const QJsonObject e = parseObject(readLine(s));
        QCOMPARE(e["type"].toString(), "error");
        QCOMPARE(e["code"].toString(), "version");
        QVERIFY(e["message"].toString().contains("protocol 2, the client 3"));
        QVERIFY(closedByPeer(s));
        QVERIFY(agent.logged("protocol 2, the client 3"));
    }

    void authentication_data() {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("error");
        QTest::newRow("right") << QString::fromStdString(kToken) << QString();
        QTest::newRow("wrong") << "not the token, but as long as one"
                               << "wrong token";
        QTest::newRow("weak")
            << "hunter2"
            << "the token is too weak (7 characters, about 36 bits, too few distinct characters; at "
               "least 128 bits are "
               "needed so that it cannot be guessed): make one with `head -c 32 "
               "/dev/urandom | base64`";
        QTest::newRow("none") << QString() << "requires a token";
    }
    void authentication() {
        QFETCH(QString, token);
        QFETCH(QString, error);
        TestAgent agent(kToken);
        bool lost = false;
        const std::string what =
            errorOf([&] { AgentClient::connect(agent.url(), token.toStdString())->ping(); }, &lost);
        if (error.isEmpty()) {
            QVERIFY2(what.empty(), what.c_str());
            QTRY_VERIFY(agent.logged("authenticated"));
        } else {
            QVERIFY2(QString::fromStdString(what).contains(error), what.c_str());
            QCOMPARE(lost, !error.contains("too weak")); // a weak token is refused before connecting
        }
        if (error == "wrong token") // the agent says so too
            QTRY_VERIFY(agent.logged("wrong token"));
    }

    // A fake agent that does not know the token cannot pass itself off as the agent: whether it asks
    // for no token, does not prove it, or proves it wrong, a client holding a token refuses it.
    void fakeAgentUnmasked_data() {
        QTest::addColumn<QString>("auth");  // what the fake's hello asks for
        QTest::addColumn<QString>("proof"); // what its welcome carries ("absent": no proof field)
        QTest::addColumn<QString>("error");
        QTest::newRow("auth none") << "none"
                                   << "absent"
                                   << "asks for no token, but this client holds one: refused";
        QTest::newRow("no proof") << "hmac-sha256"
                                  << "absent"
                                  << "did not prove that it knows the token (a fake agent?)";
        QTest::newRow("wrong proof") << "hmac-sha256" << QString::fromStdString(std::string(64, 'f'))
                                     << "did not prove that it knows the token (a fake agent?)";
    }
    void fakeAgentUnmasked() {
        QFETCH(QString, auth);
        QFETCH(QString, proof);
        QFETCH(QString, error);
        const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        QCOMPARE(::listen(listener, 1), 0);
        socklen_t len = sizeof addr;
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
        std::string received;
        std::thread fake([&] {
            const int c = ::accept(listener, nullptr, nullptr);
            char buf[4096];
            ::recv(c, buf, sizeof buf, 0);
            nlohmann::json hello{
                {"type", "hello"}, {"protocol", kAgentProtocol}, {"auth", auth.toStdString()}};
            if (auth != "none")
                hello["challenge"] = random_nonce();
            nlohmann::json welcome{{"type", "welcome"}, {"host", host_facts_to_json(local_host_facts())}};
            if (proof != "absent")
                welcome["proof"] = proof.toStdString();
            std::string out = encode_agent_message(hello);
            ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
            if (auth != "none") { // the client proves first
                const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                received.assign(buf, n > 0 ? std::size_t(n) : 0);
            }
            out = encode_agent_message(welcome);
            ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
            ::recv(c, buf, sizeof buf, 0); // until the client closes
            ::close(c);
        });
        bool lost = false;
        const std::string what = errorOf(
            [&] { AgentClient::connect(fmt::format("tcp://127.0.0.1:{}", ntohs(addr.sin_port)), kToken); },
            &lost);
        fake.join();
        ::close(listener);
        QVERIFY2(what.find(error.toStdString()) != std::string::npos, what.c_str());
        QVERIFY(lost);
        if (auth != "none")
            QVERIFY2(received.find(R"("type":"auth")") != std::string::npos, received.c_str());
    }

    // The agent proves nothing to a client that has not proved the token first, so a hello gives
    // nothing to guess a token from offline.
    void agentProvesOnlyAfterClient() {
        TestAgent agent(kToken);
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        const std::string nonce = random_nonce();
        s.write(QByteArray::fromStdString(encode_agent_message(
            {{"type", "hello"}, {"protocol", kAgentProtocol}, {"client", "test"}, {"nonce", nonce}})));
        const QJsonObject hello = parseObject(readLine(s));
        QCOMPARE(hello["auth"].toString(), "hmac-sha256");
        QCOMPARE(hello.keys(), QStringList({"agent", "auth", "challenge", "protocol", "type"}));
        const std::string challenge = hello["challenge"].toString().toStdString();
        s.write(QByteArray::fromStdString(
            encode_agent_message({{"type", "auth"}, {"response", client_proof(kToken, challenge, nonce)}})));
        const QJsonObject welcome = parseObject(readLine(s));
        QCOMPARE(welcome["type"].toString(), "welcome");
        QCOMPARE(welcome["proof"].toString().toStdString(), agent_proof(kToken, nonce, challenge));
    }

    // Tokens under 128 bits are refused wherever they enter: the agent, the client, a token file.
    void weakTokensRefused() {
        QCOMPARE(token_entropy_bits(std::string(32, 'a') + "bcdef0123456789"), 47 * 4.0); // hex digits
        QCOMPARE(token_entropy_bits("abcdefgh"), 8 * std::log2(26.0));
        const std::vector<std::string> weakTokens{"x", "0123456789abcdef0123456789abcde",
                                                  std::string(60, 'a'), "Passw0rd!"};
        for (const std::string& weak : weakTokens) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, check_token_strength(weak));
            AgentServerConfig c;
            c.port = 0;
            c.token = weak;
            try {
                AgentServer::start(c);
                QFAIL("an agent started with a weak token");
            } catch (const std::invalid_argument& e) {
                QVERIFY2(std::string(e.what()).find("head -c 32 /dev/urandom | base64") != std::string::npos,
                         e.what());
            }
        }
        check_token_strength("0123456789abcdef0123456789abcdef");                 // 128 bits of hex
        check_token_strength("q3J0b2xsaW5nIHRoZSBkaWNlIGFnYWluIGFuZCBhZ2Fpbg=="); // base64 of 32 bytes
        TestAgent agent(kToken);
        const std::string what = errorOf([&] { AgentClient::connect(agent.url(), "tiny"); });
        QVERIFY2(what.find("the token is too weak (4 characters") != std::string::npos, what.c_str());
        QTemporaryDir dir;
        const QString file = dir.filePath("weak.token");
        QVERIFY(writeTokenFile(file, "short"));
        try {
            read_token_file(file.toStdString());
            QFAIL("a weak token file was read");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find(
                         fmt::format("token file '{}': the token is too weak", file.toStdString())) == 0,
                     e.what());
        }
    }

    void nonLoopbackNeedsToken() {
        AgentServerConfig c;
        c.host = "0.0.0.0";
        c.port = 0;
        try {
            AgentServer::start(c);
            QFAIL("an agent on 0.0.0.0 without a token started");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("without a token") != std::string::npos);
        }
        QProcess p;
        p.start(kPong, {"--agent", "--control", "tcp://0.0.0.0:0"});
        QVERIFY(p.waitForFinished(5000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("without a token"));
        c.token = kToken; // with one it starts
        QVERIFY(AgentServer::start(c)->control().port != 0);
    }

    void unauthenticatedCommandsRefused_data() {
        QTest::addColumn<bool>("withToken");
        QTest::addColumn<bool>("helloFirst");
        QTest::addColumn<QByteArray>("command");
        const QByteArray create = R"({"type":"create","id":1,"spec":{"transport":"tcp"}})";
        QTest::newRow("create-no-hello") << false << false << create;
        QTest::newRow("list-no-hello") << true << false << QByteArray(R"({"type":"list","id":1})");
        QTest::newRow("create-no-auth") << true << true << create;
        QTest::newRow("ping-no-auth") << true << true << QByteArray(R"({"type":"ping","id":1})");
    }
    void unauthenticatedCommandsRefused() {
        QFETCH(bool, withToken);
        QFETCH(bool, helloFirst);
        QFETCH(QByteArray, command);
        TestAgent agent(withToken ? kToken : "");
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        if (helloFirst) {
            s.write(QByteArray(R"({"type":"hello","protocol":2,"nonce":")") + QByteArray(64, 'a') + "\"}\n");
            QCOMPARE(parseObject(readLine(s))["auth"].toString(), "hmac-sha256");
        }
        s.write(command + "\n");
        const QJsonObject e = parseObject(readLine(s));
        QCOMPARE(e["code"].toString(), "auth-required");
        QVERIFY(e["message"].toString().contains("not authenticated"));
        QVERIFY(closedByPeer(s));
        QCOMPARE(agent.server->endpoint_count(), std::size_t(0));
    }

    void garbageAndOversizedLines() {
        TestAgent agent;
        // Before hello: refused and closed.
        QTcpSocket g;
        g.connectToHost("127.0.0.1", agent.port());
        QVERIFY(g.waitForConnected(3000));
        g.write("\x16\x03\x01 GET / HTTP/1.1\r\n");
        QCOMPARE(parseObject(readLine(g))["code"].toString(), "bad-message");
        QVERIFY(closedByPeer(g));
        // A line without end: refused once it passes the limit.
        QTcpSocket big;
        big.connectToHost("127.0.0.1", agent.port());
        QVERIFY(big.waitForConnected(3000));
        big.write(QByteArray(100'000, 'x'));
        const QJsonObject e = parseObject(readLine(big));
        QVERIFY(e["message"].toString().contains("longer than the limit of 65536 bytes"));
        QVERIFY(closedByPeer(big));
        // After authentication garbage is answered, and the connection goes on.
        const auto client = AgentClient::connect(agent.url(), "");
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        s.write(R"({"type":"hello","protocol":2})"
                "\n");
        readLine(s);
        QCOMPARE(parseObject(readLine(s))["type"].toString(), "welcome");
        s.write("{{{ not json\n");
        QCOMPARE(parseObject(readLine(s))["code"].toString(), "bad-message");
        s.write(R"({"type":"launch-missiles","id":3})"
                "\n");
        const QJsonObject unknown = parseObject(readLine(s));
        QVERIFY(unknown["message"].toString().contains("unknown request"));
        QCOMPARE(unknown["id"].toInt(), 3);
        s.write(R"({"type":"ping","id":4})"
                "\n");
        QCOMPARE(parseObject(readLine(s))["type"].toString(), "pong");
        QVERIFY(client->ping() > 0);
    }

    void unauthenticatedDeadline() {
        AgentServerConfig c;
        c.auth_timeout = kNanosPerSecond;
        TestAgent agent({}, c);
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        QElapsedTimer t;
        t.start();
        const QJsonObject e = parseObject(readLine(s, 4000));
        QCOMPARE(e["code"].toString(), "timeout");
        QVERIFY(e["message"].toString().contains("no hello within 1 s"));
        QVERIFY2(t.elapsed() >= 900 && t.elapsed() < 2500, qPrintable(QString::number(t.elapsed())));
        QVERIFY(closedByPeer(s));
    }
};

QTEST_GUILESS_MAIN(TestAgentProtocol)
#include "tst_agent_protocol.moc"
