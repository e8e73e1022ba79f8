// The sweep file (CSV and JSON, histograms included): exact round trips, text that is not UTF-8,
// and refusals of other files and out-of-range integers.
#include "sweep_test_support.h"

#include <QElapsedTimer>

#include <sys/stat.h>

class TestSweepFile : public QObject {
    Q_OBJECT

private slots:
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

    // Plain CSV: the header row comes first and every row has the same columns (the sweep's version,
    // spec, start and host among them), so a spreadsheet or CSV reader takes the file as it is. The
    // older form with "# ..." lines before the header still loads.
    void csvIsPlainAndTheOldFormLoads() {
        SweepFile f;
        f.spec = shortSpec();
        f.started = "2024-01-02T03:04:05+0000";
        f.host = "box, with a comma";
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        f.points.push_back(fakePoint("b", kRateInf, 14'321.25, 60'000));
        const std::string csv = render_sweep(f, SweepFormat::Csv);
        QVERIFY(csv.starts_with("kind,key,transport,"));
        QVERIFY(csv.find("\n#") == std::string::npos);
        const QList<QByteArray> lines = QByteArray::fromStdString(csv).trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        // The kernel-timestamp split's columns come last (sweep_split.h): 21 of them, empty cells but
        // the first without a split.
        QVERIFY(lines[0].contains(
            ",histogram,sweep_version,spec,started,host,split_available,split_send_count,"));
        QVERIFY(
            lines[0].contains(",split_wake_max_us,split_unstamped,split_discarded,peer_split_available,"));
        QVERIFY(lines[0].endsWith(",split_network_p99_us,split_network_max_us"));
        QVERIFY(lines[1].endsWith(
            ",1,\"" + QByteArray::fromStdString(spec_to_json(f.spec).dump()).replace("\"", "\"\"") +
            "\",\"2024-01-02T03:04:05+0000\",\"box, with a comma\"," +
            "\"no: not asked for (--kernel-timestamps)\"" + QByteArray(20, ',') +
            ",\"no: not asked for (--kernel-timestamps)\"" + QByteArray(12, ',')));
        const SweepFile g = parse_sweep(csv, "plain.csv");
        QCOMPARE(g.host, f.host);
        QCOMPARE(g.started, f.started);
        QCOMPARE(g.points.size(), std::size_t{2});
        QCOMPARE(spec_to_json(g.spec).dump(), spec_to_json(f.spec).dump());

        // The old form: magic and comment lines, then the header without the sweep's columns.
        std::string old = "# latency-explorer sweep v1\n# spec " + spec_to_json(f.spec).dump() +
                          "\n# started 2023-01-01T00:00:00+0000\n# host oldbox\n";
        const std::string header = lines[0].toStdString();
        old += header.substr(0, header.find(",sweep_version")) + "\n";
        const std::string row = lines[1].toStdString();
        old += row.substr(0, row.find(",1,\"{")) + "\n";
        const SweepFile h = parse_sweep(old, "old.csv");
        QCOMPARE(h.host, std::string("oldbox"));
        QCOMPARE(h.points.size(), std::size_t{1});
        QVERIFY(h.points[0].rtt == f.points[0].rtt);
        QCOMPARE(spec_to_json(h.spec).dump(), spec_to_json(f.spec).dump());

        // No points: one row of kind "none" keeps the spec.
        SweepFile empty;
        empty.spec = shortSpec();
        const SweepFile e = parse_sweep(render_sweep(empty, SweepFormat::Csv), "empty.csv");
        QVERIFY(e.points.empty());
        QCOMPARE(spec_to_json(e.spec).dump(), spec_to_json(empty.spec).dump());
    }

    // A point's kernel-timestamp split (every part's figures, the counts, why not) loads back exactly
    // from either rendering, and the spec keeps --kernel-timestamps.
    void splitRoundTrips_data() { fileRoundTrips_data(); }
    void splitRoundTrips() {
        QFETCH(QString, ext);
        QTemporaryDir dir;
        const std::string path = dir.filePath("s." + ext).toStdString();
        SweepFile f;
        f.spec = shortSpec();
        f.spec.base.kernel_timestamps = true;
        f.points.reserve(2); // `a` stays valid when point b is added
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        SweepPointResult& a = f.points.back();
        a.split_available = "yes";
        int i = 0;
        a.peer_split_available = "yes";
        for (PartStats* part :
             {&a.split.send, &a.split.wire, &a.split.wake, &a.split.pong, &a.split.network}) {
            *part = {
                static_cast<std::uint64_t>(990 + i), 1.0 / 3 + i, 0.125 + i, 2.5 + i, 7.75 + i, 1e3 / 7 + i};
            ++i;
        }
        a.split.unstamped = 5;
        a.split.discarded = 3;
        f.points.push_back(fakePoint("b", kRateInf, 14'321.25, 60'000));
        f.points.back().split_available = "no: \"unix\" streams, no stamps";
        save_sweep(path, f);
        const SweepFile g = load_sweep(path);
        QVERIFY(g.spec.base.kernel_timestamps);
        QCOMPARE(g.points.size(), 2u);
        const SplitStats& b = g.points[0].split;
        QCOMPARE(g.points[0].split_available, std::string("yes"));
        QCOMPARE(g.points[0].peer_split_available, std::string("yes"));
        for (auto [x, y] : {std::pair{&a.split.send, &b.send},
                            {&a.split.wire, &b.wire},
                            {&a.split.wake, &b.wake},
                            {&a.split.pong, &b.pong},
                            {&a.split.network, &b.network}}) {
            QCOMPARE(y->count, x->count);
            QCOMPARE(y->mean_us, x->mean_us);
            QCOMPARE(y->p50_us, x->p50_us);
            QCOMPARE(y->p90_us, x->p90_us);
            QCOMPARE(y->p99_us, x->p99_us);
            QCOMPARE(y->max_us, x->max_us);
        }
        QCOMPARE(b.unstamped, 5u);
        QCOMPARE(b.discarded, 3u);
        QCOMPARE(g.points[1].split_available, f.points[1].split_available);
        QVERIFY(!g.points[1].has_split());
        QCOMPARE(g.points[1].split.send.count, 0u);
        // The table shows the parts of the first and why the second has none.
        const std::string table = format_sweep_table(g);
        QVERIFY(table.find("where the time went") != std::string::npos);
        QVERIFY(table.find("7.75") != std::string::npos && table.find("9.75") != std::string::npos);
        QVERIFY(table.find("no: \"unix\" streams, no stamps") != std::string::npos);
    }

    // Files written before the split (by the previous latency-ping, kept in tests/data) still load:
    // their points have no split, their spec no --kernel-timestamps.
    void fileBeforeTheSplitLoads_data() { fileRoundTrips_data(); }
    void fileBeforeTheSplitLoads() {
        QFETCH(QString, ext);
        const SweepFile f =
            load_sweep(std::string(LE_TEST_DATA_DIR "/sweep_before_split.") + ext.toStdString());
        QVERIFY(!f.spec.base.kernel_timestamps);
        QCOMPARE(f.points.size(), 1u);
        QVERIFY(f.points[0].ok());
        QCOMPARE(f.points[0].rtt.count(), f.points[0].received);
        QCOMPARE(f.points[0].split_available, std::string("no: not asked for (--kernel-timestamps)"));
        QCOMPARE(format_sweep_table(f).find("where the time went"), std::string::npos);
    }

    // A damaged split is refused with its place, as any damaged field is.
    void refusesADamagedSplit() {
        SweepFile f;
        f.spec = shortSpec();
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        f.points.back().split_available = "yes";
        f.points.back().split.wire.p50_us = 4.5;
        std::string csv = render_sweep(f, SweepFormat::Csv);
        csv.replace(csv.rfind(",4.5,"), 5, ",-4.5,");
        try {
            parse_sweep(csv, "bad.csv");
            QFAIL("accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("bad.csv line 2: split.wire.p50_us is negative"),
                     e.what());
        }
        nlohmann::json j = nlohmann::json::parse(render_sweep(f, SweepFormat::Json));
        j["points"][0]["split"].erase("wake");
        try {
            parse_sweep(j.dump(), "bad.json");
            QFAIL("accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("points[0]: split.wake is missing"), e.what());
        }
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

    // A FIFO (or any file that is not regular) is no sweep file, and looking does not wait for a
    // writer that never comes; loading it is refused with the reason.
    void fifoIsNoSweepFile() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("pipe.csv").toStdString();
        QCOMPARE(::mkfifo(path.c_str(), 0600), 0);
        QElapsedTimer t;
        t.start();
        QVERIFY(!is_sweep_file(path));
        QVERIFY(!is_sweep_file(dir.path().toStdString()));
        try {
            load_sweep(path);
            QFAIL("a FIFO loaded as a sweep");
        } catch (const std::runtime_error& e) {
            QCOMPARE(std::string(e.what()), "cannot read " + path + ": not a regular file");
        }
        QVERIFY(t.elapsed() < 1000);
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
        // In CSV the spec is a quoted field: its quotes are doubled.
        const std::string key = in_spec && !json ? "\"\"" + name + "\"\":" : "\"" + name + "\":";
        std::size_t at = std::string::npos;
        if (in_spec || json) {
            at = bad.find(key, json ? bad.find(in_spec ? "\"spec\"" : "\"points\"") : 0);
            QVERIFY(at != std::string::npos);
            at += key.size();
            while (bad[at] == ' ')
                ++at;
            const std::size_t end = bad.find_first_of(
                name == "tasks" && in_spec ? "]" : (in_spec && !json ? ",}\"\n" : ",}\n"), at);
            bad.replace(at, end - at + (name == "tasks" && in_spec ? 1 : 0), value.toStdString());
        } else {                          // the CSV column of that name in the only data row
            const std::size_t header = 0; // plain CSV: the header row is the first line
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
                QVERIFY2(what.contains("line 2"), e.what()); // the one data row (the spec is in it)
        }
    }

    // Values no sweep can have measured are refused, in either rendering, naming the field.
    void refusesValuesNoSweepMeasures_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("mentions");
        for (const char* format : {"csv", "json"}) {
            QTest::addRow("%s negative rate", format) << format << 0 << "target_rate must be a number from 1";
            QTest::addRow("%s negative achieved", format) << format << 1 << "achieved_rate is negative";
            QTest::addRow("%s negative duration", format) << format << 2 << "duration_s is negative";
            QTest::addRow("%s counts", format) << format << 3 << "the counts do not add up: sent 1000";
            QTest::addRow("%s tasks", format) << format << 4 << "tasks";
            QTest::addRow("%s cpu", format) << format << 5 << "cpu_percent is negative";
        }
    }
    void refusesValuesNoSweepMeasures() {
        QFETCH(QString, format);
        QFETCH(int, which);
        QFETCH(QString, mentions);
        SweepFile f;
        f.spec = shortSpec();
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        SweepPointResult& p = f.points.back();
        switch (which) {
        case 0:
            p.target_rate = -5;
            break;
        case 1:
            p.achieved_rate = -1;
            break;
        case 2:
            p.duration_s = -1;
            break;
        case 3:
            p.lost = 5;
            break;
        case 4:
            p.tasks = kMaxTasks + 1;
            break;
        default:
            p.cpu_percent = -3;
            break;
        }
        const std::string text = render_sweep(f, format == "json" ? SweepFormat::Json : SweepFormat::Csv);
        try {
            parse_sweep(text, "bad.sweep");
            QFAIL("accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).startsWith("bad.sweep") &&
                         QString::fromUtf8(e.what()).contains(mentions),
                     e.what());
        }
    }

    // A file of more points than a sweep holds is refused as too large, before their histograms take
    // the memory (100k points took 4-5 GB); a grid that big is refused before it runs.
    void refusesTooManyPoints_data() {
        QTest::addColumn<QString>("format");
        QTest::newRow("csv") << "csv";
        QTest::newRow("json") << "json";
    }
    void refusesTooManyPoints() {
        QFETCH(QString, format);
        const bool json = format == "json";
        SweepFile f;
        f.spec = shortSpec();
        f.points.push_back(fakePoint("a", 1000, 998.5, 20'000));
        f.points.back().rtt.reset(); // a small point: the file is ~10 MB
        f.points.back().rtt.record(20'000);
        const std::string one = render_sweep(f, json ? SweepFormat::Json : SweepFormat::Csv);
        std::string text;
        if (json) { // the one point kMaxSweepPoints + 1 times
            nlohmann::json doc = nlohmann::json::parse(one);
            const nlohmann::json point = doc.at("points").at(0);
            doc["points"] = nlohmann::json::array();
            for (std::size_t i = 0; i <= kMaxSweepPoints; ++i)
                doc["points"].push_back(point);
            text = doc.dump();
        } else { // the header, then its one row kMaxSweepPoints + 1 times
            const std::size_t row = one.find('\n') + 1;
            std::string line = one.substr(row);
            if (!line.ends_with('\n'))
                line += '\n';
            text = one.substr(0, row);
            for (std::size_t i = 0; i <= kMaxSweepPoints; ++i)
                text += line;
        }
        try {
            parse_sweep(text, "big.sweep");
            QFAIL("accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()) ==
                         QStringLiteral("big.sweep is too large: it has 10001 points, more than the 10000 a "
                                        "sweep holds"),
                     e.what());
        }
        SweepSpec grid = shortSpec();
        grid.repeat = 1000;
        grid.payloads = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
        try {
            validate(grid);
            QFAIL("a grid of more than 10000 points accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("a sweep holds at most 10000"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSweepFile)
#include "tst_sweep_file.moc"
