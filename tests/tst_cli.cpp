// Drives the real latency-ping and latency-pong binaries: usage errors and help, the JSON and CSV
// output contracts, output files, and live changes. (Peers and the ways a run ends: tst_cli_peers.)
#include "cli_test_support.h"
#include "schedule_check.h"

class TestCli : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY2(QFile::exists(kPing), qPrintable(kPing));
        QVERIFY2(QFile::exists(kPong), qPrintable(kPong));
    }

    void testUsageErrors_data() {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("mentions"); // each must appear in stderr
        QTest::newRow("unknown-flag") << kPing << QStringList{"--bogus"} << QStringList{"--bogus"};
        QTest::newRow("rate-word") << kPing << QStringList{"--rate", "abc"} << QStringList{"--rate", "'abc'"};
        QTest::newRow("rate-zero") << kPing << QStringList{"--rate", "0"} << QStringList{"--rate", "'0'"};
        QTest::newRow("payload-too-big")
            << kPing << QStringList{"--payload", "2MiB"} << QStringList{"payload", "2 MiB", "out of range"};
        QTest::newRow("udp-payload") << kPing << QStringList{"--transport", "udp", "--payload", "70000"}
                                     << QStringList{"UDP", "65507"};
        QTest::newRow("udp-peer-payload")
            << kPing << QStringList{"--peer", "udp://127.0.0.1:9", "--payload", "70000"}
            << QStringList{"UDP", "65507"};
        QTest::newRow("peer-scheme") << kPing << QStringList{"--peer", "ftp://x:1"}
                                     << QStringList{"--peer", "ftp://x:1"};
        QTest::newRow("set-unknown-key")
            << kPing << QStringList{"--set", "5s:colour=red"} << QStringList{"--set", "colour"};
        QTest::newRow("set-bad-value")
            << kPing << QStringList{"--set", "5s:rate=fast"} << QStringList{"--set", "fast"};
        QTest::newRow("format") << kPing << QStringList{"--format", "xml"} << QStringList{"--format", "xml"};
        QTest::newRow("open-loop-inf")
            << kPing << QStringList{"--open-loop", "--rate", "inf"} << QStringList{"open loop", "inf"};
        QTest::newRow("interval-too-short")
            << kPing << QStringList{"--interval", "1ms"} << QStringList{"interval", "10 ms"};
        QTest::newRow("pong-listen") << kPong << QStringList{"--listen", "nonsense"}
                                     << QStringList{"--listen", "nonsense"};
        QTest::newRow("pong-engine") << kPong << QStringList{"--engine", "nope"}
                                     << QStringList{"--engine", "nope"};
        QTest::newRow("pong-unknown-flag") << kPong << QStringList{"--bogus"} << QStringList{"--bogus"};
        QTest::newRow("pong-delay") << kPong << QStringList{"--delay", "soon"}
                                    << QStringList{"--delay", "'soon'"};
        QTest::newRow("pong-delay-too-long")
            << kPong << QStringList{"--delay", "11s"} << QStringList{"--delay", "10 s"};
        QTest::newRow("pong-jitter") << kPong << QStringList{"--jitter", "-1ms"} << QStringList{"--jitter"};
        QTest::newRow("pong-loss") << kPong << QStringList{"--loss", "101"} << QStringList{"--loss", "'101'"};
        QTest::newRow("pong-loss-word") << kPong << QStringList{"--loss", "some%"} << QStringList{"--loss"};
        // Issue 18's input gaps: each refused, naming what was given.
        QTest::newRow("duration-under-1ns") << kPing << QStringList{"--duration", "0.1ns"}
                                            << QStringList{"duration '0.1ns' is shorter than 1 ns"};
        QTest::newRow("tasks-too-many") << kPing << QStringList{"--tasks", "200000"}
                                        << QStringList{"--tasks: 200000 is out of range (0 to 100000)"};
        QTest::newRow("pong-task-work-1h") << kPong << QStringList{"--task-work", "1h"}
                                           << QStringList{"--task-work 1h: must be from 0 to 1 s"};
        QTest::newRow("pong-task-period-1000h")
            << kPong << QStringList{"--task-period", "1000h"}
            << QStringList{"--task-period 1000h: must be from 10 us to 10 s"};
        QTest::newRow("agent-url")
            << kPing << QStringList{"--agent", "ftp://x:1"}
            << QStringList{"--agent: invalid agent URL 'ftp://x:1' (expected tcp://HOST:PORT)"};
        QTest::newRow("agent-token-file")
            << kPing << QStringList{"--agent", "tcp://127.0.0.1:1", "--token-file", "/nonexistent/token"}
            << QStringList{"--agent: token file '/nonexistent/token': No such file or directory"};
        QTest::newRow("icmp-host-option") << kPing << QStringList{"sweep", "--icmp-host", "-V"}
                                          << QStringList{"--icmp-host '-V': not a host name"};
        QTest::newRow("compare-duplicate") << kPing << QStringList{"compare", "--engines", "asio,asio"}
                                           << QStringList{"--engines 'asio,asio': value 2 repeats value 1"};
        QTest::newRow("compare-empty") << kPing << QStringList{"compare", "--tasks", ","}
                                       << QStringList{"--tasks ',': give at least one value"};
        // A --set that could not apply is refused before the run, naming the change.
        QTest::newRow("set-udp-payload")
            << kPing << QStringList{"--transport", "udp", "--set", "1s:payload=1MiB"}
            << QStringList{"--set 1s:payload=1MiB: ", "UDP"};
        QTest::newRow("set-open-loop-inf") << kPing << QStringList{"--open-loop", "--set", "1s:rate=inf"}
                                           << QStringList{"--set 1s:rate=inf: open loop needs a finite rate"};
        QTest::newRow("set-tasks-too-many")
            << kPing << QStringList{"--set", "1s:tasks=200000"}
            << QStringList{
                   "--set 1s:tasks=200000: tasks 200000 is out of range: the blocking engine runs 0 to 2000"};
        QTest::newRow("set-task-work-1h")
            << kPing << QStringList{"--set", "1s:task-work=1h"}
            << QStringList{"--set 1s:task-work=1h: task work must be from 0 to 1 s"};
    }
    void testUsageErrors() {
        QFETCH(QString, program);
        QFETCH(QStringList, args);
        QFETCH(QStringList, mentions);
        const Result r = run(program, args, 5'000);
        QVERIFY2(r.finished, qPrintable(r.describe()));
        QCOMPARE(r.exitStatus, QProcess::NormalExit);
        QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
        QVERIFY2(r.out.isEmpty(), qPrintable(r.describe())); // nothing measured, nothing listened on
        const QString err = QString::fromUtf8(r.err);
        for (const QString& m : mentions)
            QVERIFY2(err.contains(m), qPrintable(QStringLiteral("stderr lacks '%1':\n%2").arg(m, err)));
    }

    void testHelp_data() {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QStringList>("options");
        QTest::newRow("ping") << kPing << QStringList{"--peer",     "--transport", "--engine",   "--rate",
                                                      "--payload",  "--tasks",     "--duration", "--warmup",
                                                      "--interval", "--open-loop", "--timeout",  "--set",
                                                      "--format",   "--out"};
        QTest::newRow("pong") << kPong << QStringList{"--listen", "--engine", "--tasks", "--max-connections",
                                                      "--delay",  "--jitter", "--loss"};
    }
    void testHelp() {
        QFETCH(QString, program);
        QFETCH(QStringList, options);
        const Result r = run(program, {"--help"}, 5'000);
        QVERIFY2(r.finished, qPrintable(r.describe()));
        QCOMPARE(r.exitStatus, QProcess::NormalExit);
        QCOMPARE(r.exitCode, 0);
        const QString out = QString::fromUtf8(r.out);
        for (const QString& o : options)
            QVERIFY2(out.contains(o), qPrintable(QStringLiteral("help lacks '%1':\n%2").arg(o, out)));
    }

    void testJsonContract() {
        const Result r = run(kPing, kShortRun + QStringList{"--format", "json"});
        QVERIFY2(r.finished && r.exitStatus == QProcess::NormalExit && r.exitCode == 0,
                 qPrintable(r.describe()));
        QString error;
        const QList<QJsonObject> records = jsonRecords(r.out, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(records.size() >= 2);

        int intervals = 0, summaries = 0;
        for (const QJsonObject& rec : records) {
            const QString problem = checkRecord(rec);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
            const QString type = rec.value("type").toString();
            intervals += type == "interval";
            summaries += type == "summary";
            QCOMPARE(rec.value("payload").toInteger(), qint64(64));
            QCOMPARE(rec.value("tasks").toInteger(), qint64(0));
            QCOMPARE(rec.value("target_rate").toDouble(), 1000.0);
        }
        QVERIFY(intervals >= 1);
        QCOMPARE(summaries, 1);
        const QJsonObject summary = records.last();
        QCOMPARE(summary.value("type").toString(), QStringLiteral("summary"));
        const QString counts = checkSummaryCounts(summary);
        QVERIFY2(counts.isEmpty(), qPrintable(counts));
        // The schedule kept: every slot of 1000/s sent or counted skipped (schedule_check.h).
        const QString schedule =
            scheduleProblem(static_cast<std::uint64_t>(summary.value("sent").toInteger()),
                            static_cast<std::uint64_t>(summary.value("skipped").toInteger()),
                            summary.value("duration_s").toDouble(), 1000);
        QVERIFY2(schedule.isEmpty(), qPrintable(schedule));
        QCOMPARE(summary.value("achieved_rate").toDouble(),
                 summary.value("sent").toDouble() / summary.value("duration_s").toDouble());
        // The summary covers the measured time only: about 1 s after a 200 ms warm-up.
        QVERIFY2(qAbs(summary.value("t_s").toDouble() - 1.2) < 0.1,
                 qPrintable(QString::number(summary.value("t_s").toDouble())));
        qint64 intervalReceived = 0;
        for (const QJsonObject& rec : records)
            if (rec.value("type").toString() == "interval")
                intervalReceived += rec.value("received").toInteger();
        QCOMPARE(intervalReceived, summary.value("received").toInteger());
    }

    void testCsvAndOutFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath("run.csv");
        const Result r = run(kPing, kShortRun + QStringList{"--format", "csv", "--out", file});
        QVERIFY2(r.finished && r.exitStatus == QProcess::NormalExit && r.exitCode == 0,
                 qPrintable(r.describe()));

        const QList<QByteArray> lines = nonEmptyLines(r.out);
        QVERIFY2(lines.size() >= 3, qPrintable(r.describe())); // header, interval(s), summary
        const QList<QByteArray> header = lines.first().trimmed().split(',');
        QCOMPARE(header.first(), QByteArray("type"));
        for (const QString& key : kRecordKeys + kRecordTextKeys)
            QVERIFY2(header.contains(key.toUtf8()), qPrintable(QStringLiteral("header lacks %1").arg(key)));
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QList<QByteArray> fields = lines[i].trimmed().split(',');
            QVERIFY2(fields.size() == header.size(), lines[i].constData());
            QVERIFY(fields.first() == "interval" || fields.first() == "summary");
        }
        QVERIFY(lines.last().startsWith("summary,"));
        const QList<QByteArray> summary = lines.last().trimmed().split(',');
        const auto column = [&](const char* name) { return summary.at(header.indexOf(name)).toDouble(); };
        QVERIFY(column("received") > 0);
        QCOMPARE(column("sent"), column("received") + column("lost") + column("errors"));
        QVERIFY(column("min_us") <= column("p50_us") && column("p50_us") <= column("p99_us") &&
                column("p99_us") <= column("max_us"));

        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), r.out);
    }

    void testJsonOutFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath("run.json");
        const Result r = run(kPing, kShortRun + QStringList{"--format", "json", "--out", file});
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), r.out);
    }

    void testLiveRateChange() {
        const Result r = run(kPing, {"--set", "600ms:rate=2k", "--warmup", "200ms", "--duration", "1.5s",
                                     "--interval", "500ms", "--format", "json"});
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QString error;
        const QList<QJsonObject> records = jsonRecords(r.out, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));

        qsizetype changedAt = -1;
        for (qsizetype i = 0; i < records.size() && changedAt < 0; ++i) {
            if (records[i].value("type").toString() != "interval")
                continue;
            for (const QJsonValue& c : records[i].value("changes").toArray()) {
                const QJsonObject change = c.toObject();
                if (change.value("key").toString() == "rate" && change.value("value").toString() == "2k") {
                    changedAt = i;
                    // Stamped at about 600 ms after the start (warm-up included).
                    QVERIFY2(qAbs(change.value("t_s").toDouble() - 0.6) < 0.2,
                             qPrintable(QString::number(change.value("t_s").toDouble())));
                }
            }
        }
        QVERIFY2(changedAt >= 0, qPrintable(r.describe()));
        bool fasterLater = false;
        for (qsizetype i = changedAt + 1; i < records.size(); ++i) {
            const QJsonObject& rec = records[i];
            // The schedule follows the change: 2000 slots a second, sent or skipped (schedule_check.h).
            if (rec.value("type").toString() == "interval" && rec.value("target_rate").toDouble() == 2000.0 &&
                scheduleProblem(static_cast<std::uint64_t>(rec.value("sent").toInteger()),
                                static_cast<std::uint64_t>(rec.value("skipped").toInteger()),
                                rec.value("duration_s").toDouble(), 2000, 0.1)
                    .isEmpty())
                fasterLater = true;
        }
        QVERIFY2(fasterLater, qPrintable(r.describe()));
        QCOMPARE(records.last().value("type").toString(), QStringLiteral("summary"));
    }

    // Open loop sizes its in-flight table for the highest rate its schedule reaches, so a scheduled
    // raise applies (a live raise beyond it would be refused).
    void testOpenLoopScheduledRaise() {
        const Result r =
            run(kPing, {"--open-loop", "--rate", "500", "--set", "300ms:rate=2k", "--warmup", "100ms",
                        "--duration", "600ms", "--interval", "200ms", "--format", "json"});
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(!r.err.contains("not applied"), qPrintable(r.describe()));
        QString error;
        const QList<QJsonObject> records = jsonRecords(r.out, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(!records.isEmpty());
        bool raised = false;
        for (const QJsonValue& c : records.last().value("changes").toArray())
            raised = raised || (c.toObject().value("key") == "rate" && c.toObject().value("value") == "2k");
        QVERIFY2(raised, qPrintable(r.describe()));
        QCOMPARE(records.last().value("target_rate").toDouble(), 2000.0);
    }

    void testOutUnwritable() {
        const QString path = QStringLiteral("/nonexistent-dir/x.json");
        const Result r = run(kPing, kShortRun + QStringList{"--format", "json", "--out", path}, 5'000);
        QVERIFY2(r.finished, qPrintable(r.describe()));
        QCOMPARE(r.exitStatus, QProcess::NormalExit);
        QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
        QVERIFY2(QString::fromUtf8(r.err).contains(path), qPrintable(r.describe()));
        QVERIFY2(r.out.isEmpty(), qPrintable(r.describe())); // refused before measuring anything
        QVERIFY2(r.elapsedMs < 1'000, qPrintable(QStringLiteral("took %1 ms").arg(r.elapsedMs)));
    }

    // A write that fails is an error naming the file, with exit status 1; the other output still
    // gets every record up to the summary.
    void testWriteFailures_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("stdoutFull");
        QTest::addColumn<QString>("error");
        QTest::newRow("stdout /dev/full")
            << (kShortRun + QStringList{"--format", "json"}) << true
            << "latency-ping: error: cannot write standard output: No space left on "
               "device";
        QTest::newRow("--out /dev/full")
            << (kShortRun + QStringList{"--format", "json", "--out", "/dev/full"}) << false
            << "latency-ping: error: cannot write '/dev/full': No space left on device";
        QTest::newRow("compare --out /dev/full")
            << QStringList{"compare", "--engines", "blocking,asio", "--duration", "400ms",
                           "--slice", "200ms",     "--out",         "/dev/full"}
            << false << "latency-ping compare: error: cannot write '/dev/full': No space left on device";
        QTest::newRow("compare to /dev/full")
            << QStringList{"compare", "--engines", "blocking,asio", "--duration", "400ms", "--slice", "200ms"}
            << true << "latency-ping compare: error: cannot write standard output: No space left on device";
    }
    void testWriteFailures() {
        QFETCH(QStringList, args);
        QFETCH(bool, stdoutFull);
        QFETCH(QString, error);
        QProcess p;
        if (stdoutFull)
            p.setStandardOutputFile(QStringLiteral("/dev/full"));
        p.start(kPing, args);
        QVERIFY(p.waitForFinished(30'000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 1 && err.contains(error.toUtf8()), err.constData());
        if (!stdoutFull && !args.contains("compare")) { // standard output still has the whole run
            const QList<QByteArray> lines = nonEmptyLines(p.readAllStandardOutput());
            QVERIFY(!lines.isEmpty());
            QCOMPARE(QJsonDocument::fromJson(lines.last()).object()["type"].toString(),
                     QStringLiteral("summary"));
        }
    }

    // --verify-payload against a faithful peer: every echo checks out.
    void testVerifyPayload() {
        const Result r = run(kPing, kShortRun + QStringList{"--verify-payload", "--format", "json"}, 15'000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        const QList<QByteArray> lines = nonEmptyLines(r.out);
        const QJsonObject summary = QJsonDocument::fromJson(lines.last()).object();
        QCOMPARE(summary["type"].toString(), QStringLiteral("summary"));
        QVERIFY(summary["received"].toInt() > 500);
        QCOMPARE(summary["errors"].toInt(), 0);
        QCOMPARE(summary["sent"].toInt(), summary["received"].toInt() + summary["lost"].toInt());
    }

    // A reader that goes away (`| head -1`) ends an endless run at once and cleanly.
    void testReaderGoesAway() {
        QProcess p;
        p.start(QStringLiteral("bash"),
                {"-c", QStringLiteral(
                           "'%1' --duration 0 --interval 100ms | head -1; echo \"status ${PIPESTATUS[0]}\"")
                           .arg(kPing)});
        QVERIFY2(p.waitForFinished(10'000), "latency-ping did not end when its reader went away");
        const QList<QByteArray> lines = nonEmptyLines(p.readAllStandardOutput());
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines[0].contains("t_s"));
        QCOMPARE(lines[1], QByteArray("status 0"));
        QVERIFY(!p.readAllStandardError().contains("error"));
    }
};

QTEST_GUILESS_MAIN(TestCli)

#include "tst_cli.moc"
