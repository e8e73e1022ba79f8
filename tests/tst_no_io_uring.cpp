// A kernel without io_uring, simulated: this suite defines io_uring_queue_init and
// io_uring_queue_init_params itself, and the program's own definitions win over liburing's at link
// time, so every ring in this process fails to set up with ENOSYS, as io_uring_setup does on a
// kernel built without it. The io_uring engines must say so, naming the engine, and not crash; the
// others must not notice.
#include "ping_session.h"
#include "pong_server.h"

#include <QtTest>

#include <liburing.h>

#include <cerrno>
#include <stdexcept>

using namespace le;

extern "C" int io_uring_queue_init_params(unsigned, io_uring*, io_uring_params*) {
    return -ENOSYS;
}
extern "C" int io_uring_queue_init(unsigned, io_uring*, unsigned) {
    return -ENOSYS;
}

Q_DECLARE_METATYPE(le::EngineKind)

namespace {

QString text(std::string_view s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

PongConfig pong_config(EngineKind engine) {
    PongConfig c;
    c.engine = engine;
    c.listen = {parse_endpoint("tcp://127.0.0.1:0")};
    return c;
}

PingConfig ping_config(EngineKind engine) {
    PingConfig c;
    c.engine = engine;
    c.rate = 1000;
    c.warmup = 50 * kNanosPerMilli;
    c.duration = 300 * kNanosPerMilli;
    c.interval = 100 * kNanosPerMilli;
    return c;
}

} // namespace

class TestNoIoUring : public QObject {
    Q_OBJECT

private slots:
    void ioUringEnginesExplainAndDoNotCrash_data() {
        QTest::addColumn<EngineKind>("engine");
        for (EngineKind e : {EngineKind::Uring, EngineKind::UringSqpoll, EngineKind::AsioUring})
            QTest::newRow(to_string(e).data()) << e;
    }
    void ioUringEnginesExplainAndDoNotCrash() {
        QFETCH(EngineKind, engine);
        const QString name = text(to_string(engine));
        // The pong side.
        try {
            start_pong(pong_config(engine));
            QFAIL("a pong started without io_uring");
        } catch (const std::runtime_error& e) {
            const QString why = QString::fromUtf8(e.what());
            QVERIFY2(why.startsWith(QStringLiteral("cannot start the %1 pong: ").arg(name)), qPrintable(why));
            QVERIFY2(why.contains(QStringLiteral("Function not implemented")) ||
                         why.contains(QStringLiteral("ENOSYS")),
                     qPrintable(why));
        }
        // The ping side, against a pong that needs no io_uring.
        auto peer = start_pong(pong_config(EngineKind::Blocking));
        PingConfig c = ping_config(engine);
        c.peer = peer->endpoints().front();
        PingSession session(c);
        try {
            session.start();
            QFAIL("a ping started without io_uring");
        } catch (const std::runtime_error& e) {
            const QString why = QString::fromUtf8(e.what());
            QVERIFY2(why.startsWith(QStringLiteral("cannot start the %1 engine: ").arg(name)),
                     qPrintable(why));
        }
    }

    // The same process measures on with the engines that need no io_uring, libuv among them.
    void otherEnginesMeasureAsUsual() {
        for (EngineKind e : {EngineKind::Libuv, EngineKind::Asio, EngineKind::Blocking}) {
            PingSession session(ping_config(e));
            session.start();
            IntervalRecord r;
            std::optional<IntervalRecord> summary;
            const Nanos give_up = now_ns() + 30 * kNanosPerSecond;
            while (!summary && now_ns() < give_up)
                if (session.next_record(r, 100 * kNanosPerMilli) && r.kind == IntervalRecord::Kind::Summary)
                    summary = r;
            QVERIFY2(summary, qPrintable(text(to_string(e))));
            QVERIFY2(session.error().empty(), session.error().c_str());
            QVERIFY2(summary->received > 100, qPrintable(QString::number(summary->received)));
            QCOMPARE(summary->sent, summary->received + summary->lost + summary->errors);
            QCOMPARE(summary->errors, 0u);
        }
    }
};

QTEST_GUILESS_MAIN(TestNoIoUring)
#include "tst_no_io_uring.moc"
