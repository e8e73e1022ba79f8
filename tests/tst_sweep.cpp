// Sweeps that run: real quick sweeps through the runner and through `latency-ping sweep`, resume,
// cancel, a failed point, and a killed run resumed. (Grids: tst_sweep_spec; the file:
// tst_sweep_file.)
#include "sweep_test_support.h"

class TestSweep : public QObject {
    Q_OBJECT

private slots:
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

    // `sweep --kernel-timestamps`: each point carries its parts in the file and the table (blocking
    // UDP: send, wire and wake present, positive, within the point's RTT), a Unix point says why it
    // has none, and the file keeps the option for --resume.
    void commandLineSweepCarriesTheSplit() {
        QTemporaryDir dir;
        const QString out = dir.filePath("split.json");
        QProcess p;
        p.start(kPing, {"sweep", "--rates", "2k", "--transports", "udp,unix", "--duration", "200ms",
                        "--warmup", "50ms", "--no-icmp", "--kernel-timestamps", "--out", out});
        QVERIFY(p.waitForFinished(30000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QString table = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(table.contains("where the time went") && table.contains("wake_p99"), qPrintable(table));
        const SweepFile f = load_sweep(out.toStdString());
        QVERIFY(f.spec.base.kernel_timestamps);
        QCOMPARE(f.points.size(), 2u);
        const SweepPointResult& udp = f.points[0];
        QCOMPARE(udp.transport, std::string("udp"));
        QCOMPARE(udp.split_available, std::string("yes"));
        QCOMPARE(udp.split.send.count + udp.split.unstamped + udp.split.discarded, udp.received);
        for (const PartStats* part : {&udp.split.send, &udp.split.wire, &udp.split.wake}) {
            QVERIFY(part->count > 0 && part->p50_us > 0);
            QVERIFY(part->p99_us <= part->max_us && part->max_us <= udp.rtt.max() / 1000.0);
        }
        QVERIFY(
            table.contains(QString::asprintf("%9.2f %9.2f", udp.split.send.p50_us, udp.split.send.p99_us)));
        const SweepPointResult& unix_ = f.points[1];
        QVERIFY2(unix_.ok(), unix_.error.c_str());
        QVERIFY2(unix_.split_available.starts_with("no: unix stream sockets"), unix_.split_available.c_str());
        QVERIFY(table.contains(QString::fromStdString(unix_.split_available)));
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
