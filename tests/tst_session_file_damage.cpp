// Damaged saved runs are refused with messages a user can act on: every kind of bad field, a
// missing file, a folder, an oversized file (unread), and random damage (only ever a
// std::runtime_error naming the file).
#include "session_file_test_support.h"

class TestSessionFileDamage : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void damagedFilesAreRefused_data();
    void damagedFilesAreRefused();
    void missingFileIsReported();
    void directoryIsReported();
    void oversizedFileIsRefusedUnread();
    void randomDamageOnlyEverThrowsRuntimeError();

private:
    QTemporaryDir m_dir;
    std::string m_valid_text; // a saved synthetic run, as save_session() wrote it
};

void TestSessionFileDamage::initTestCase() {
    QVERIFY(m_dir.isValid());
    const std::string path = m_dir.filePath("valid.json").toStdString();
    save_session(path, synthetic_run(3, true));
    m_valid_text = read_all(path);
    QVERIFY(!m_valid_text.empty());
}

void TestSessionFileDamage::damagedFilesAreRefused_data() {
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("words");
    const QString not_session = "is not a Latency Explorer session file";
    const auto edited = [this](auto edit) {
        json doc = json::parse(m_valid_text);
        edit(doc);
        return QByteArray::fromStdString(doc.dump());
    };

    QTest::newRow("empty file") << QByteArray() << not_session;
    QTest::newRow("only whitespace") << QByteArray(" \n\t\n") << not_session;
    QTest::newRow("garbage") << QByteArray("garbage") << not_session;
    QTest::newRow("binary") << QByteArray("\x00\xff\xfe\x01", 4) << not_session;
    QTest::newRow("empty object") << QByteArray("{}") << not_session;
    QTest::newRow("array") << QByteArray("[1, 2, 3]") << not_session;
    QTest::newRow("null") << QByteArray("null") << not_session;
    QTest::newRow("wrong format") << edited([](json& d) { d["format"] = "latency-explorer-settings"; })
                                  << not_session;
    QTest::newRow("format not a string") << edited([](json& d) { d["format"] = 1; }) << not_session;
    QTest::newRow("version 99") << edited([](json& d) { d["version"] = 99; })
                                << ": unsupported session version 99";
    QTest::newRow("version -1") << edited([](json& d) { d["version"] = -1; })
                                << ": unsupported session version -1";
    QTest::newRow("version a string")
        << edited([](json& d) { d["version"] = "1"; }) << ": corrupt session: version is not an integer";
    QTest::newRow("version missing") << edited([](json& d) { d.erase("version"); })
                                     << ": corrupt session: version is missing";
    QTest::newRow("truncated") << QByteArray::fromStdString(m_valid_text.substr(0, m_valid_text.size() / 2))
                               << ": corrupt session: not valid JSON at byte";
    QTest::newRow("last byte missing")
        << QByteArray::fromStdString(m_valid_text.substr(0, m_valid_text.size() - 2))
        << "(the file may be truncated)";
    QTest::newRow("name not a string")
        << edited([](json& d) { d["name"] = json::array(); }) << ": corrupt session: name is not a string";
    QTest::newRow("info not an object")
        << edited([](json& d) { d["info"] = "x"; }) << ": corrupt session: info is not an object";
    QTest::newRow("info value not a string")
        << edited([](json& d) { d["info"]["peer"] = 5; }) << ": corrupt session: info.peer is not a string";
    QTest::newRow("intervals missing")
        << edited([](json& d) { d.erase("intervals"); }) << ": corrupt session: intervals is missing";
    QTest::newRow("intervals not an array") << edited([](json& d) { d["intervals"] = json::object(); })
                                            << ": corrupt session: intervals is not an array";
    QTest::newRow("record not an object") << edited([](json& d) { d["intervals"][1] = 5; })
                                          << ": corrupt session: intervals[1] is not an object";
    QTest::newRow("record field of wrong type")
        << edited([](json& d) { d["intervals"][1]["p50_us"] = "fast"; })
        << ": corrupt session: intervals[1].p50_us is not a number";
    QTest::newRow("record field missing") << edited([](json& d) { d["intervals"][2].erase("sent"); })
                                          << ": corrupt session: intervals[2].sent is missing";
    QTest::newRow("negative counter") << edited([](json& d) { d["intervals"][0]["lost"] = -1; })
                                      << ": corrupt session: intervals[0].lost is negative";
    QTest::newRow("fractional counter") << edited([](json& d) { d["intervals"][0]["sent"] = 1.5; })
                                        << ": corrupt session: intervals[0].sent is not an integer";
    QTest::newRow("negative latency") << edited([](json& d) { d["intervals"][0]["max_us"] = -2.5; })
                                      << ": corrupt session: intervals[0].max_us is negative";
    QTest::newRow("tasks out of range") << edited([](json& d) { d["intervals"][0]["tasks"] = 1ULL << 40; })
                                        << ": corrupt session: intervals[0].tasks is out of range";
    QTest::newRow("target rate a string") << edited([](json& d) { d["intervals"][0]["target_rate"] = "1k"; })
                                          << ": corrupt session: intervals[0].target_rate is not a number";
    QTest::newRow("record of the wrong type")
        << edited([](json& d) { d["intervals"][0]["type"] = "summary"; })
        << ": corrupt session: intervals[0].type is not \"interval\"";
    QTest::newRow("changes not an array") << edited([](json& d) { d["intervals"][1]["changes"] = "rate=1k"; })
                                          << ": corrupt session: intervals[1].changes is not an array";
    QTest::newRow("change without key")
        << edited([](json& d) { d["intervals"][1]["changes"][0].erase("key"); })
        << ": corrupt session: intervals[1].changes[0].key is missing";
    QTest::newRow("change value not a string")
        << edited([](json& d) { d["intervals"][1]["changes"][1]["value"] = 100; })
        << ": corrupt session: intervals[1].changes[1].value is not a string";
    QTest::newRow("summary missing") << edited([](json& d) { d.erase("summary"); })
                                     << ": corrupt session: summary is missing";
    QTest::newRow("summary not an object")
        << edited([](json& d) { d["summary"] = "x"; }) << ": corrupt session: summary is not an object";
    QTest::newRow("summary field null") << edited([](json& d) { d["summary"]["max_us"] = nullptr; })
                                        << ": corrupt session: summary.max_us is not a number";
    QTest::newRow("whole_run missing")
        << edited([](json& d) { d.erase("whole_run"); }) << ": corrupt session: whole_run is missing";
    QTest::newRow("histogram index 99999")
        << edited([](json& d) { d["whole_run"]["counts"][0][0] = 99999; })
        << ": corrupt session: whole_run.counts[0] index 99999 is out of range";
    QTest::newRow("histogram counts not summing to total")
        << edited([](json& d) { d["whole_run"]["total"] = d["whole_run"]["total"].get<std::uint64_t>() + 1; })
        << ": corrupt session: whole_run.counts add up to";
    QTest::newRow("histogram negative count") << edited([](json& d) { d["whole_run"]["counts"][0][1] = -3; })
                                              << ": corrupt session: whole_run.counts[0] count is negative";
    QTest::newRow("histogram layout") << edited([](json& d) { d["whole_run"]["sub_bucket_bits"] = 7; })
                                      << ": corrupt session: whole_run.sub_bucket_bits is 7";
    QTest::newRow("histogram min above max")
        << edited([](json& d) { d["whole_run"]["max"] = d["whole_run"]["min"].get<std::int64_t>() - 1; })
        << ": corrupt session: whole_run: min";
    // dump() cannot write an out-of-range number, so the text is edited instead.
    QByteArray infinite = edited([](json& d) { d["intervals"][0]["t_s"] = "@inf@"; });
    infinite.replace("\"@inf@\"", "1e999");
    QTest::newRow("number too large") << infinite << ": corrupt session: a number is out of range";
}

void TestSessionFileDamage::damagedFilesAreRefused() {
    QFETCH(QByteArray, content);
    QFETCH(QString, words);
    const QString path = m_dir.filePath("damaged.json");
    QVERIFY(write_all(path, content));
    const QString message = load_error(path.toStdString());
    QVERIFY2(message.startsWith(path), qPrintable(message));
    QVERIFY2(message.contains(words), qPrintable(message));
}

void TestSessionFileDamage::missingFileIsReported() {
    const std::string path = m_dir.filePath("no-such-run.json").toStdString();
    QCOMPARE(load_error(path), QString::fromStdString("cannot read " + path + ": No such file or directory"));
}

void TestSessionFileDamage::directoryIsReported() {
    QCOMPARE(load_error(m_dir.path().toStdString()), "cannot read " + m_dir.path() + ": Is a directory");
}

void TestSessionFileDamage::oversizedFileIsRefusedUnread() {
    const QString path = m_dir.filePath("huge.json");
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.write(QByteArray::fromStdString(m_valid_text)) > 0);
        // Sparse: costs no disk space, and the refusal must come before any of it is read.
        QVERIFY(f.resize(qint64(kMaxSessionFileBytes) + 1));
    }
    const QString message = load_error(path.toStdString());
    QVERIFY2(message.startsWith(path + " is too large"), qPrintable(message));
    QVERIFY2(message.contains("256 MiB"), qPrintable(message));
    QFile::remove(path);
}

void TestSessionFileDamage::randomDamageOnlyEverThrowsRuntimeError() {
    auto rng = make_rng();
    const QString path = m_dir.filePath("fuzzed.json");
    int refused = 0;
    for (int round = 0; round < 400; ++round) {
        std::string text = m_valid_text;
        std::uniform_int_distribution<std::size_t> pos(0, text.size() - 1);
        switch (round % 4) {
        case 0: // flipped bytes
            for (int k = 0; k < 3; ++k)
                text[pos(rng)] ^= static_cast<char>(1 << (rng() % 8));
            break;
        case 1: // cut short
            text.resize(pos(rng));
            break;
        case 2: // a digit replaced by a minus sign, a dot or a letter
            for (int k = 0; k < 20; ++k) {
                const std::size_t p = pos(rng);
                if (text[p] >= '0' && text[p] <= '9') {
                    text[p] = "-.e"[rng() % 3];
                    break;
                }
            }
            break;
        default: // a span deleted
            text.erase(pos(rng), rng() % 64);
            break;
        }
        QVERIFY(write_all(path, QByteArray::fromStdString(text)));
        try {
            load_session(path.toStdString());
        } catch (const std::runtime_error& e) {
            ++refused;
            QVERIFY2(QString(e.what()).startsWith(path), e.what());
        }
    }
    QVERIFY(refused > 150);
}

QTEST_GUILESS_MAIN(TestSessionFileDamage)
#include "tst_session_file_damage.moc"
