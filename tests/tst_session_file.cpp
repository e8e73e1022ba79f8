// Saved runs: exact round trips of whole sessions, and saving that never leaves a half-written
// file. (Damaged files: tst_session_file_damage; histograms alone: tst_histogram_json.)
#include "session_file_test_support.h"

class TestSessionFile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void sessionRoundTrip_data();
    void sessionRoundTrip();
    void unnamedRunIsNamedAfterTheFile();
    void inMemoryDocumentsAreCheckedToo();
    void realRunRoundTrip();
    void savingOverwritesAtomically();
    void failedSaveKeepsTheOldFile();
    void unwritablePathIsReported();

private:
    QTemporaryDir m_dir;
};

void TestSessionFile::sessionRoundTrip_data() {
    QTest::addColumn<int>("intervals");
    QTest::addColumn<bool>("summary");
    QTest::newRow("intervals, changes and summary") << 3 << true;
    QTest::newRow("ended without summary") << 3 << false;
    QTest::newRow("nothing measured") << 0 << false;
}

void TestSessionFile::sessionRoundTrip() {
    QFETCH(int, intervals);
    QFETCH(bool, summary);
    const RunHistory run = synthetic_run(intervals, summary);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("run.lesession").toStdString();
    save_session(path, run);
    const RunHistory loaded = load_session(path);
    const std::string diff = run_difference(run, loaded);
    QVERIFY2(diff.empty(), diff.c_str());
    QCOMPARE(files_in(dir), QStringList{"run.lesession"});

    const RunHistory from_json = session_from_json(session_to_json(run), "unused");
    const std::string json_diff = run_difference(run, from_json);
    QVERIFY2(json_diff.empty(), json_diff.c_str());
}

void TestSessionFile::unnamedRunIsNamedAfterTheFile() {
    RunHistory run = synthetic_run(1, false);
    run.set_name("");
    const std::string path = m_dir.filePath("tuesday-baseline.json").toStdString();
    save_session(path, run);
    QCOMPARE(load_session(path).name(), std::string("tuesday-baseline"));
}

void TestSessionFile::inMemoryDocumentsAreCheckedToo() {
    // Fuzzers and importers hand session_from_json() documents that never went through the parser:
    // signed integers, infinities.
    json doc = session_to_json(synthetic_run(3, true));
    doc["version"] = 1; // signed
    QCOMPARE(session_from_json(doc, "x").intervals().size(), std::size_t{3});
    const auto error = [](const json& d) -> QString {
        try {
            session_from_json(d, "x");
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "no exception";
    };
    json infinite = doc;
    infinite["intervals"][0]["t_s"] = std::numeric_limits<double>::infinity();
    QCOMPARE(error(infinite), "corrupt session: intervals[0].t_s is not a finite number");
    json not_a_number = doc;
    not_a_number["summary"]["p99_us"] = std::numeric_limits<double>::quiet_NaN();
    QCOMPARE(error(not_a_number), "corrupt session: summary.p99_us is not a finite number");
    QCOMPARE(error(json("x")), "not a Latency Explorer session file");
    json future = doc;
    future["version"] = 2;
    QCOMPARE(error(future), "unsupported session version 2");
}

void TestSessionFile::realRunRoundTrip() {
    PingConfig c;
    c.duration = 500 * kNanosPerMilli;
    c.warmup = 100 * kNanosPerMilli;
    c.interval = 100 * kNanosPerMilli;
    PingSession session(c);
    session.start();
    RunHistory run("real");
    run.info()["transport"] = "tcp";
    run.info()["engine"] = "blocking";
    IntervalRecord r;
    bool changed = false;
    const Nanos give_up = now_ns() + 30 * kNanosPerSecond;
    while (now_ns() < give_up && !run.summary()) {
        if (!session.next_record(r, 100 * kNanosPerMilli)) {
            if (session.finished())
                break;
            continue;
        }
        run.add(r);
        if (!changed) {
            session.apply("rate", "2k");
            changed = true;
        }
    }
    QVERIFY2(session.error().empty(), session.error().c_str());
    QVERIFY(run.summary());
    QVERIFY(run.intervals().size() >= 4);
    QVERIFY(!run.changes().empty());
    QVERIFY(run.whole_run().count() > 100);

    const std::string path = m_dir.filePath("real.json").toStdString();
    save_session(path, run);
    const RunHistory loaded = load_session(path);
    const std::string diff = run_difference(run, loaded);
    QVERIFY2(diff.empty(), diff.c_str());
    QCOMPARE(loaded.whole_run().value_at_percentile(99), run.whole_run().value_at_percentile(99));
}

void TestSessionFile::savingOverwritesAtomically() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("run.json").toStdString();
    save_session(path, synthetic_run(3, true));
    const RunHistory second = synthetic_run(1, false);
    save_session(path, second);
    const std::string diff = run_difference(second, load_session(path));
    QVERIFY2(diff.empty(), diff.c_str());
    QCOMPARE(files_in(dir), QStringList{"run.json"});
}

void TestSessionFile::failedSaveKeepsTheOldFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("run.json").toStdString();
    const RunHistory first = synthetic_run(3, true);
    save_session(path, first);
    // A directory where the temporary file would go makes the save fail before PATH is touched.
    QVERIFY(QDir(dir.path()).mkdir("run.json.tmp"));
    try {
        save_session(path, synthetic_run(1, false));
        QFAIL("saved");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).startsWith(QString::fromStdString("cannot write " + path + ": ")),
                 e.what());
    }
    const std::string diff = run_difference(first, load_session(path));
    QVERIFY2(diff.empty(), diff.c_str());
}

void TestSessionFile::unwritablePathIsReported() {
    try {
        save_session("/nonexistent-dir/x.json", synthetic_run(1, true));
        QFAIL("saved");
    } catch (const std::runtime_error& e) {
        QCOMPARE(QString(e.what()), "cannot write /nonexistent-dir/x.json: No such file or directory");
    }
    QVERIFY(!QFile::exists("/nonexistent-dir/x.json.tmp"));
}

QTEST_GUILESS_MAIN(TestSessionFile)
#include "tst_session_file.moc"
