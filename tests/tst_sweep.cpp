// Sweeps: grid expansion and presets, the sweep file (CSV and JSON, histograms included), resume,
// real quick sweeps through the runner and through `latency-ping sweep`, and a killed run resumed.
#include "sweep_runner.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <set>

using namespace le;

namespace {

const QString kPing = QStringLiteral(LE_PING_PATH);

SweepPointResult fakePoint(std::string key, double rate, double achieved, std::int64_t base_ns) {
    SweepPointResult p;
    p.key = std::move(key);
    p.transport = "udp";
    p.engine = "asio";
    p.tasks = 10;
    p.payload = 64;
    p.target_rate = rate;
    p.achieved_rate = achieved;
    p.duration_s = 1.5;
    p.sent = 1000;
    p.received = 998;
    p.lost = 2;
    p.cpu_percent = 42.5;
    for (int i = 0; i < 998; ++i)
        p.rtt.record(base_ns + i * 37);
    p.finished_at_s = 3.25;
    return p;
}

SweepSpec shortSpec() {
    SweepSpec s;
    s.rates = {200, kRateInf};
    s.transports = {Transport::Tcp};
    s.duration = 300 * kNanosPerMilli;
    s.warmup = 100 * kNanosPerMilli;
    s.icmp = false;
    return s;
}

} // namespace

class TestSweep : public QObject {
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

    void fileRoundTrips_data() {
        QTest::addColumn<QString>("ext");
        QTest::newRow("csv") << "csv";
        QTest::newRow("json") << "json";
    }
    void fileRoundTrips() {
        QFETCH(QString, ext);
        QTemporaryDir dir;
        const std::string path = dir.filePath("s." + ext).toStdString();
        SweepFile f;
        f.spec = shortSpec();
        f.spec.pause = 250 * kNanosPerMilli;
        f.spec.base.cpu = {1};
        f.started = "2024-01-02T03:04:05+0000";
        f.host = "box";
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        f.points.push_back(fakePoint("b", kRateInf, 14'321.25, 60'000));
        f.points.back().error = "peer said \"no\", then, closed";
        SweepPointResult icmp;
        icmp.key = "icmp/payload=56/rate=inf/rep=0";
        icmp.icmp = true;
        icmp.transport = "icmp";
        icmp.engine = "ping";
        icmp.target_rate = kRateInf;
        icmp.note = "not root: ping allows users an interval of 0.002 s";
        icmp.rtt.record(3000);
        icmp.sent = icmp.received = 1;
        f.points.push_back(icmp);
        save_sweep(path, f);
        QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp")));
        QVERIFY(is_sweep_file(path));
        const SweepFile g = load_sweep(path);
        QCOMPARE(g.started, f.started);
        QCOMPARE(g.host, f.host);
        QCOMPARE(spec_to_json(g.spec).dump(), spec_to_json(f.spec).dump());
        QCOMPARE(g.points.size(), 3u);
        for (std::size_t i = 0; i < 3; ++i) {
            const auto &a = f.points[i], &b = g.points[i];
            QCOMPARE(b.key, a.key);
            QCOMPARE(b.icmp, a.icmp);
            QCOMPARE(b.transport, a.transport);
            QCOMPARE(b.engine, a.engine);
            QCOMPARE(b.tasks, a.tasks);
            QCOMPARE(b.payload, a.payload);
            QCOMPARE(b.target_rate, a.target_rate);
            QCOMPARE(b.achieved_rate, a.achieved_rate);
            QCOMPARE(b.sent, a.sent);
            QCOMPARE(b.received, a.received);
            QCOMPARE(b.lost, a.lost);
            QCOMPARE(b.cpu_percent, a.cpu_percent);
            QCOMPARE(b.error, a.error);
            QCOMPARE(b.note, a.note);
            QCOMPARE(b.finished_at_s, a.finished_at_s);
            QVERIFY(b.rtt == a.rtt); // the full histogram, exactly
        }
        QVERIFY(g.done("a"));
        QVERIFY(!g.done("b")); // failed: measured again on resume
    }

    void refusesOtherFiles_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("text") << QByteArray("hello\n") << "not a sweep file";
        QTest::newRow("session") << QByteArray("{\"format\":\"latency-explorer-session\"}")
                                 << "not a sweep file";
        QTest::newRow("no spec") << QByteArray("# latency-explorer sweep v1\nkind,key\n") << "column";
        QTest::newRow("bad row") << QByteArray("# latency-explorer sweep v1\n# spec {\"rates\":[1]}\n")
                                 << "line 2";
        // Found by fuzz_sweep_file: json::value() threw nlohmann's type_error (not the documented
        // runtime_error) for a format that is no string, and cast a version of 1e300 to int.
        QTest::newRow("format number") << QByteArray(R"({"format": 2})") << "not a sweep file";
        QTest::newRow("version string") << QByteArray(R"({"format":"latency-explorer-sweep","version":"1"})")
                                        << "unsupported sweep version \"1\"";
        QTest::newRow("version 1e300") << QByteArray(R"({"format":"latency-explorer-sweep","version":1e300})")
                                       << "unsupported sweep version 1e+300";
        QTest::newRow("no version") << QByteArray(R"({"format":"latency-explorer-sweep"})")
                                    << "unsupported sweep version (none)";
    }
    void refusesOtherFiles() {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        QFile f(dir.filePath("x.csv"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
        f.close();
        try {
            load_sweep(f.fileName().toStdString());
            QFAIL("accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, load_sweep(dir.filePath("missing.csv").toStdString()));
    }

    // Found by fuzz_sweep_file: a CSV whose "# started" held bytes that are not UTF-8 loaded, and
    // saving it as JSON threw nlohmann's type_error (so would a ping's non-UTF-8 message quoted in a
    // point's error). JSON now gets U+FFFD for such bytes; CSV keeps them as they are.
    void savesTextThatIsNotUtf8_data() {
        QTest::addColumn<QString>("ext");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("csv") << "csv" << QByteArray("ping: \xf7\xff sendmsg");
        QTest::newRow("json") << "json" << QByteArray("ping: \xef\xbf\xbd\xef\xbf\xbd sendmsg");
    }
    void savesTextThatIsNotUtf8() {
        QFETCH(QString, ext);
        QFETCH(QByteArray, expected);
        QTemporaryDir dir;
        const std::string path = dir.filePath("u." + ext).toStdString();
        SweepFile f;
        f.spec = shortSpec();
        f.host = "h\xf7st";
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        f.points.back().error = "ping: \xf7\xff sendmsg";
        save_sweep(path, f);
        const SweepFile g = load_sweep(path);
        QCOMPARE(g.points.size(), std::size_t(1));
        QCOMPARE(QByteArray::fromStdString(g.points[0].error), expected);
        QVERIFY(g.points[0].rtt == f.points[0].rtt);
    }

    // Found by fuzz_sweep_file: a number where an integer belongs, beyond the integer's range, was
    // converted with a plain cast (undefined behaviour; garbage tasks/counts). Each rendering is
    // refused with the field's row or point named, and the same file with the value in range loads.
    void refusesOutOfRangeIntegers_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("field"); // in a point, or "spec.NAME"
        QTest::addColumn<QString>("value");
        for (const char* format : {"csv", "json"}) {
            const auto row = [&](const char* name, const char* field, const char* value) {
                QTest::addRow("%s %s", format, name) << format << field << value;
            };
            row("tasks 1e300", "tasks", "1e300");
            row("sent -1.5", "sent", "-1.5");
            row("payload -1", "payload", "-1");
            row("repetition 2^31", "repetition", "2147483648");
            row("lost 2^64", "lost", "18446744073709551616");
            row("spec repeat 1e300", "spec.repeat", "1e300");
            row("spec tasks [1e300]", "spec.tasks", "[1e300]");
            row("spec duration 1e19", "spec.duration_ns", "1e19");
        }
    }
    void refusesOutOfRangeIntegers() {
        QFETCH(QString, format);
        QFETCH(QString, field);
        QFETCH(QString, value);
        SweepFile f;
        f.spec = shortSpec();
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        const bool json = format == "json";
        const std::string good = render_sweep(f, json ? SweepFormat::Json : SweepFormat::Csv);
        QCOMPARE(parse_sweep(good, "good").points.at(0).tasks, 10);
        // The same text with one value replaced, as a fuzzer (or an editor) would.
        std::string bad = good;
        const bool in_spec = field.startsWith("spec.");
        const std::string name = (in_spec ? field.mid(5) : field).toStdString();
        const std::string key = "\"" + name + "\":";
        std::size_t at = std::string::npos;
        if (in_spec || json) {
            at = bad.find(key, json ? bad.find(in_spec ? "\"spec\"" : "\"points\"") : 0);
            QVERIFY(at != std::string::npos);
            at += key.size();
            while (bad[at] == ' ')
                ++at;
            const std::size_t end = bad.find_first_of(name == "tasks" && in_spec ? "]" : ",}\n", at);
            bad.replace(at, end - at + (name == "tasks" && in_spec ? 1 : 0), value.toStdString());
        } else { // the CSV column of that name in the only data row
            const std::size_t header = bad.find("\nkind,") + 1;
            const std::size_t data = bad.find('\n', header) + 1;
            const std::string head = bad.substr(header, data - header - 1);
            int column = 0;
            for (std::size_t i = 0; i < head.find("," + name + ","); ++i)
                column += head[i] == ',';
            std::size_t begin = data;
            for (int c = 0; c <= column; ++c)
                begin = bad.find(',', begin) + 1;
            bad.replace(begin, bad.find(',', begin) - begin, value.toStdString());
        }
        QVERIFY(bad != good);
        try {
            parse_sweep(bad, "bad.sweep");
            QFAIL(("accepted: " + bad.substr(0, 400)).c_str());
        } catch (const std::runtime_error& e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.startsWith("bad.sweep") && what.contains("integer"), e.what());
            if (!json)
                QVERIFY2(what.contains(in_spec ? "line 2" : "line 6"), e.what());
        }
    }

    // A real sweep through the runner: two rates on TCP and the ICMP baseline at both.
    void runsAQuickSweep() {
        QTemporaryDir dir;
        SweepSpec s = shortSpec();
        s.icmp = true;
        SweepRunOptions o;
        o.out = dir.filePath("q.json").toStdString();
        std::vector<SweepProgress> progress;
        std::vector<std::string> finished;
        SweepCallbacks cb;
        cb.progress = [&](const SweepProgress& p) { progress.push_back(p); };
        cb.point = [&](const SweepPointResult& r) {
            finished.push_back(r.key);
            QCOMPARE(load_sweep(o.out).points.size(), finished.size()); // saved before it is announced
        };
        QElapsedTimer t;
        t.start();
        const SweepFile f = run_sweep(s, o, cb);
        QVERIFY(t.elapsed() < 15000);
        QCOMPARE(f.points.size(), 4u);
        QCOMPARE(finished.size(), 4u);
        const SweepPointResult& paced = f.points[0];
        const SweepPointResult& b2b = f.points[1];
        QVERIFY2(paced.ok() && b2b.ok(), (paced.error + b2b.error).c_str());
        QCOMPARE(paced.target_rate, 200.0);
        // Achieved = sent over the measured time, whatever the machine's load made of the target
        // (paced on schedule, it cannot exceed it; other helpers' load can make it slip a little).
        QVERIFY(std::abs(paced.achieved_rate - paced.sent / paced.duration_s) < 1e-6 * paced.achieved_rate);
        QVERIFY2(paced.achieved_rate > 100 && paced.achieved_rate < 210,
                 qPrintable(QString::number(paced.achieved_rate)));
        QVERIFY(std::abs(paced.duration_s - 0.3) < 0.05);
        QCOMPARE(paced.rtt.count(), paced.received);
        QCOMPARE(paced.sent, paced.received + paced.lost);
        QVERIFY(b2b.achieved_rate > 1000); // back-to-back on loopback is far above 200/s
        QVERIFY(f.points[2].icmp && f.points[3].icmp);
        if (f.points[2].error.find("not permitted") == std::string::npos) {
            QVERIFY2(f.points[2].ok(), f.points[2].error.c_str());
            QVERIFY(f.points[2].achieved_rate > 100);
        }
        // Progress: before and after each point; ETA shrinks to 0 at the end.
        QCOMPARE(progress.size(), 8u);
        QCOMPARE(progress.back().done, 4u);
        QCOMPARE(progress.back().eta_s, 0.0);
        QVERIFY(progress.front().eta_s > 1.0 && progress.front().eta_s < 5.0);
        QVERIFY(progress[2].eta_s < progress.front().eta_s);
        const SweepFile loaded = load_sweep(o.out);
        QCOMPARE(loaded.points.size(), 4u);
        QVERIFY(loaded.points[0].rtt == paced.rtt);
    }

    void resumeSkipsDonePointsAndRedoesFailedOnes() {
        QTemporaryDir dir;
        const SweepSpec s = shortSpec();
        const auto points = expand(s);
        SweepFile f;
        f.spec = s;
        f.points.push_back(fakePoint(points[0].key(), 200, 12'345, 1'000)); // "done", with a marker
        f.points.push_back(fakePoint(points[1].key(), kRateInf, 1, 1'000));
        f.points.back().error = "peer closed the connection"; // failed: measured again
        const std::string path = dir.filePath("r.csv").toStdString();
        save_sweep(path, f);
        SweepRunOptions o{path, true};
        std::vector<std::string> measured;
        SweepCallbacks cb;
        std::size_t skipped = 0;
        cb.progress = [&](const SweepProgress& p) { skipped = p.skipped; };
        cb.point = [&](const SweepPointResult& r) { measured.push_back(r.key); };
        const SweepFile out = run_sweep(s, o, cb);
        QCOMPARE(skipped, 1u);
        QCOMPARE(measured, std::vector<std::string>{points[1].key()});
        QCOMPARE(out.points.size(), 2u);
        QCOMPARE(out.points[0].achieved_rate, 12'345.0); // kept as it was
        QVERIFY(out.points[1].ok());
        QVERIFY(out.points[1].achieved_rate > 1000);
        QCOMPARE(load_sweep(path).points.size(), 2u);

        // Other measurement settings: the old points would not be comparable.
        SweepSpec longer = s;
        longer.duration = 2 * kNanosPerSecond;
        try {
            run_sweep(longer, o);
            QFAIL("resumed a sweep measured with other settings");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("other settings"), e.what());
        }
    }

    void cancelKeepsFinishedPoints() {
        QTemporaryDir dir;
        SweepSpec s = shortSpec();
        s.rates = {100, 200, 300};
        SweepRunOptions o;
        o.out = dir.filePath("c.csv").toStdString();
        std::atomic<bool> stop{false};
        SweepCallbacks cb;
        cb.point = [&](const SweepPointResult&) { stop = true; }; // cancel while the 2nd starts
        const SweepFile f = run_sweep(s, o, cb, &stop);
        QCOMPARE(f.points.size(), 1u);
        QCOMPARE(load_sweep(o.out).points.size(), 1u);
    }

    void failedPointIsRecordedAndTheSweepGoesOn() {
        SweepSpec s = shortSpec();
        s.base.peer = parse_endpoint("tcp://127.0.0.1:1"); // nothing listens there
        s.base.connect_timeout = 300 * kNanosPerMilli;
        const SweepFile f = run_sweep(s, {});
        QCOMPARE(f.points.size(), 2u);
        for (const auto& p : f.points) {
            QVERIFY(!p.ok());
            QVERIFY(!p.error.empty());
        }
    }

    void commandLineQuickSweep() {
        QTemporaryDir dir;
        const QString out = dir.filePath("cli.csv");
        QProcess p;
        p.start(kPing, {"sweep", "--rates", "100,inf", "--transports", "tcp,udp", "--duration", "300ms",
                        "--warmup", "100ms", "--no-icmp", "--out", out});
        QVERIFY(p.waitForFinished(30000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitCode() == 0, qPrintable(err));
        const QStringList lines = QString::fromUtf8(p.readAllStandardOutput()).trimmed().split('\n');
        QCOMPARE(lines.size(), 5); // header + 4 points
        QVERIFY(lines[0].contains("achieved") && lines[0].contains("p99.9_us"));
        QVERIFY(lines[1].contains("blocking/tcp/0 tasks/64 B") && lines[1].contains(" 100 "));
        QVERIFY(lines[4].contains("blocking/udp") && lines[4].contains(" inf "));
        QVERIFY(err.contains("4 points"));
        const SweepFile f = load_sweep(out.toStdString());
        QCOMPARE(f.points.size(), 4u);
        for (const auto& pt : f.points)
            QVERIFY2(pt.ok(), pt.error.c_str());
        // The achieved rate is what was measured, not what was asked for.
        QVERIFY(f.points[0].achieved_rate > 50 && f.points[0].achieved_rate < 105);
        QVERIFY(f.points[1].achieved_rate > 1000);
    }

    void commandLineErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("rates") << QStringList{"--rates", "1k,fast"} << "--rates";
        QTest::newRow("engine") << QStringList{"--engines", "turbo"} << "--engines";
        QTest::newRow("preset") << QStringList{"--preset", "slow"} << "preset";
        QTest::newRow("resume") << QStringList{"--resume"} << "--resume needs --out";
        QTest::newRow("ext") << QStringList{"--out", "x.txt"} << ".csv or .json";
        QTest::newRow("peer") << QStringList{"--peer", "udp://127.0.0.1:9", "--transports", "tcp"} << "peer";
    }
    void commandLineErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        QProcess p;
        p.start(kPing, QStringList{"sweep"} + args);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(expected), qPrintable(err));
    }

    void existingFileNeedsResumeOrForce() {
        QTemporaryDir dir;
        const QString out = dir.filePath("e.csv");
        QFile f(out);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("precious");
        f.close();
        QProcess p;
        p.start(kPing, {"sweep", "--rates", "inf", "--duration", "200ms", "--no-icmp", "--out", out});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("--resume continues it"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("precious"));
    }

    // Killed after its first point is on disk; --resume measures only what is missing.
    void killedRunResumes() {
        QTemporaryDir dir;
        const QString out = dir.filePath("k.csv");
        const QStringList args{"sweep", "--rates",  "100,200,300,inf", "--transports", "tcp",   "--duration",
                               "400ms", "--warmup", "100ms",           "--no-icmp",    "--out", out};
        QProcess p;
        p.start(kPing, args);
        QVERIFY(p.waitForStarted());
        std::size_t before = 0;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 15000 && p.state() == QProcess::Running) {
            try {
                if (QFile::exists(out) && (before = load_sweep(out.toStdString()).points.size()) >= 1)
                    break;
            } catch (const std::exception& e) {
                QFAIL(e.what()); // every state on disk must load: written whole, renamed
            }
            QTest::qWait(20);
        }
        p.kill(); // SIGKILL: no chance to clean up
        QVERIFY(p.waitForFinished(5000));
        QVERIFY(before >= 1);
        const SweepFile killed = load_sweep(out.toStdString());
        QVERIFY(killed.points.size() >= 1 && killed.points.size() < 4);

        QProcess r;
        r.start(kPing, args + QStringList{"--resume"});
        QVERIFY(r.waitForFinished(30000));
        const QString err = QString::fromUtf8(r.readAllStandardError());
        QVERIFY2(r.exitCode() == 0, qPrintable(err));
        QVERIFY2(
            err.contains(QStringLiteral("resuming: %1 of 4 points already done").arg(killed.points.size())),
            qPrintable(err));
        const SweepFile done = load_sweep(out.toStdString());
        QCOMPARE(done.points.size(), 4u);
        for (std::size_t i = 0; i < killed.points.size(); ++i) {
            QCOMPARE(done.points[i].key, killed.points[i].key);
            QCOMPARE(done.points[i].finished_at_s, killed.points[i].finished_at_s); // not measured again
            QVERIFY(done.points[i].rtt == killed.points[i].rtt);
        }
        std::set<std::string> keys;
        for (const auto& pt : done.points)
            keys.insert(pt.key);
        QCOMPARE(keys.size(), 4u);
    }
};

QTEST_GUILESS_MAIN(TestSweep)
#include "tst_sweep.moc"
