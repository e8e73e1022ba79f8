// Saved runs: exact round trips of histograms and whole sessions, and refusals of damaged files with
// messages a user can act on.
#include "histogram_json.h"
#include "ping_session.h"
#include "session_file.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace le;
using nlohmann::json;
using Samples = std::vector<std::int64_t>;

namespace {

// Fixed seed: a failing row must fail the same way on every run and machine.
std::mt19937_64 make_rng() {
    return std::mt19937_64(0x5e551011ULL);
}

Histogram histogram_of(const Samples& samples) {
    Histogram h;
    for (const std::int64_t v : samples)
        h.record(v);
    return h;
}

Samples lognormal_samples(std::size_t n) {
    auto rng = make_rng();
    std::lognormal_distribution<double> dist(std::log(20'000.0), 0.8);
    Samples s(n);
    for (auto& v : s)
        v = std::llround(dist(rng));
    return s;
}

IntervalRecord make_record(int i, IntervalRecord::Kind kind) {
    IntervalRecord r;
    r.kind = kind;
    // Values without a short decimal form, so the round trip has to keep every bit.
    r.t_s = 0.1 + i / 3.0;
    r.duration_s = 1.0 / 3.0 + 1e-12 * i;
    r.target_rate = i % 2 ? kRateInf : 2500.5 + i;
    r.achieved_rate = 2499.999999 / (i + 1);
    r.payload = 64u << i;
    r.tasks = i == 2 ? INT_MAX : 10 * i;
    r.sent = (std::uint64_t{1} << 63) + static_cast<std::uint64_t>(i);
    r.received = 1000 + static_cast<std::uint64_t>(i);
    r.lost = static_cast<std::uint64_t>(i);
    r.errors = i == 1 ? 3 : 0;
    r.bytes = std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(i);
    r.min_us = 1e-9 * (i + 1);
    r.mean_us = 21.123456789012345 + i;
    r.p50_us = 20.48 + i;
    r.p90_us = 30.72 + i;
    r.p99_us = 40.96 + i;
    r.p999_us = 81.92 + i;
    r.p9999_us = 163.84 + i;
    r.max_us = 1.0995e9 + i;
    if (i == 1)
        r.changes = {{0.25, "rate", "10k"}, {0.5, "tasks", "100"}};
    if (i == 2)
        r.changes = {{0.75, "payload", "1KiB"}};
    return r;
}

RunHistory synthetic_run(int intervals, bool with_summary) {
    RunHistory run("baseline \"A\" ✓");
    run.info() = {{"peer", "tcp://127.0.0.1:5000"},
                  {"host", "héllo ✓"},
                  {"note", "quote \" backslash \\ newline \n tab \t"},
                  {"", "empty key"}};
    for (int i = 0; i < intervals; ++i)
        run.add(make_record(i, IntervalRecord::Kind::Interval));
    if (with_summary) {
        IntervalRecord s = make_record(7, IntervalRecord::Kind::Summary);
        s.changes = run.changes();
        run.set_summary(s);
    }
    if (intervals > 0) {
        Histogram whole = histogram_of(lognormal_samples(20'000));
        whole.record(Histogram::kMaxTrackable + 5);
        run.set_whole_run(whole);
    }
    return run;
}

// Empty when equal; else the first difference, for the failure message. Doubles are compared
// exactly: the file must keep every bit.
std::string record_difference(const IntervalRecord& a, const IntervalRecord& b) {
    const auto field = [](const char* name) { return std::string(name) + " differs"; };
#define LE_SAME(member)                                                                                      \
    if (!(a.member == b.member))                                                                             \
        return field(#member);
    LE_SAME(kind)
    LE_SAME(t_s)
    LE_SAME(duration_s)
    LE_SAME(target_rate)
    LE_SAME(achieved_rate)
    LE_SAME(payload)
    LE_SAME(tasks)
    LE_SAME(sent)
    LE_SAME(received)
    LE_SAME(lost)
    LE_SAME(errors)
    LE_SAME(bytes)
    LE_SAME(min_us)
    LE_SAME(mean_us)
    LE_SAME(p50_us)
    LE_SAME(p90_us)
    LE_SAME(p99_us)
    LE_SAME(p999_us)
    LE_SAME(p9999_us)
    LE_SAME(max_us)
#undef LE_SAME
    if (a.changes.size() != b.changes.size())
        return "number of changes differs";
    for (std::size_t i = 0; i < a.changes.size(); ++i) {
        const ParamChange& x = a.changes[i];
        const ParamChange& y = b.changes[i];
        if (x.t_s != y.t_s || x.key != y.key || x.value != y.value)
            return "changes[" + std::to_string(i) + "] differs";
    }
    if (b.rtt_ns)
        return "loaded record has a histogram";
    return {};
}

std::string run_difference(const RunHistory& a, const RunHistory& b) {
    if (a.name() != b.name())
        return "name: '" + a.name() + "' vs '" + b.name() + "'";
    if (a.info() != b.info())
        return "info differs";
    if (a.intervals().size() != b.intervals().size())
        return "number of intervals: " + std::to_string(a.intervals().size()) + " vs " +
               std::to_string(b.intervals().size());
    for (std::size_t i = 0; i < a.intervals().size(); ++i)
        if (std::string d = record_difference(a.intervals()[i], b.intervals()[i]); !d.empty())
            return "intervals[" + std::to_string(i) + "]: " + d;
    if (a.changes().size() != b.changes().size())
        return "changes() differ";
    if (a.summary().has_value() != b.summary().has_value())
        return "summary presence differs";
    if (a.summary())
        if (std::string d = record_difference(*a.summary(), *b.summary()); !d.empty())
            return "summary: " + d;
    if (!(a.whole_run() == b.whole_run()))
        return "whole_run differs";
    return {};
}

std::string read_all(const std::string& path) {
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().toStdString();
}

bool write_all(const QString& path, const QByteArray& content) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) == content.size();
}

QStringList files_in(const QTemporaryDir& dir) {
    return QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

// The message load_session() gave, or "no exception".
QString load_error(const std::string& path) {
    try {
        load_session(path);
    } catch (const std::runtime_error& e) {
        return QString::fromStdString(e.what());
    }
    return "no exception";
}

// A histogram of 10, 20 and 30 ns: one count each in buckets 10, 20 and 30.
json small_histogram_json() {
    return histogram_to_json(histogram_of({10, 20, 30}));
}

} // namespace

class TestSessionFile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void histogramRoundTripIsExact_data();
    void histogramRoundTripIsExact();
    void histogramJsonIsSparse();
    void histogramJsonRefusesBadInput_data();
    void histogramJsonRefusesBadInput();
    void histogramJsonNamesMissingFields_data();
    void histogramJsonNamesMissingFields();

    void sessionRoundTrip_data();
    void sessionRoundTrip();
    void unnamedRunIsNamedAfterTheFile();
    void inMemoryDocumentsAreCheckedToo();
    void realRunRoundTrip();
    void savingOverwritesAtomically();
    void failedSaveKeepsTheOldFile();
    void unwritablePathIsReported();

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

void TestSessionFile::initTestCase() {
    QVERIFY(m_dir.isValid());
    const std::string path = m_dir.filePath("valid.json").toStdString();
    save_session(path, synthetic_run(3, true));
    m_valid_text = read_all(path);
    QVERIFY(!m_valid_text.empty());
}

void TestSessionFile::histogramRoundTripIsExact_data() {
    QTest::addColumn<Samples>("samples");
    QTest::newRow("empty") << Samples{};
    QTest::newRow("single value") << Samples{123'456};
    QTest::newRow("zero") << Samples{0};
    QTest::newRow("largest trackable") << Samples{Histogram::kMaxTrackable};
    QTest::newRow("lognormal ~20us") << lognormal_samples(100'000);
    QTest::newRow("overflow and negative values") << Samples{5,
                                                             300,
                                                             Histogram::kMaxTrackable,
                                                             Histogram::kMaxTrackable + 1,
                                                             std::numeric_limits<std::int64_t>::max(),
                                                             -7};
    Samples edges;
    for (int k = 0; k < Histogram::kMaxBits; ++k)
        for (const std::int64_t d : {-1, 0, 1})
            edges.push_back((std::int64_t{1} << k) + d);
    QTest::newRow("power-of-two edges") << edges;
}

void TestSessionFile::histogramRoundTripIsExact() {
    QFETCH(Samples, samples);
    const Histogram h = histogram_of(samples);
    Histogram merged = h; // merged histograms must survive too
    merged.add(h);
    const Histogram& doubled = merged;
    for (const Histogram* original : {&h, &doubled}) {
        const std::string text = histogram_to_json(*original).dump();
        const Histogram back = histogram_from_json(json::parse(text));
        QVERIFY(back == *original);
        QCOMPARE(back.count(), original->count());
        QCOMPARE(back.min(), original->min());
        QCOMPARE(back.max(), original->max());
        QCOMPARE(back.mean(), original->mean());
        QCOMPARE(back.value_at_percentile(99.9), original->value_at_percentile(99.9));
        // A restored histogram keeps recording like the original.
        Histogram a = *original;
        Histogram b = back;
        a.record(777);
        b.record(777);
        QVERIFY(a == b);
    }
}

void TestSessionFile::histogramJsonIsSparse() {
    const json j = small_histogram_json();
    QCOMPARE(j.dump(), std::string(R"({"counts":[[10,1],[20,1],[30,1]],"max":30,"max_bits":40,"min":10,)"
                                   R"("overflow":0,"sub_bucket_bits":8,"sum":60,"total":3,"unit":"ns"})"));
    QCOMPARE(histogram_to_json(Histogram{})["counts"].size(), std::size_t{0});
}

void TestSessionFile::histogramJsonRefusesBadInput_data() {
    // Each patch is merged into the JSON of small_histogram_json() (RFC 7396: objects merge, anything
    // else replaces).
    QTest::addColumn<QString>("patch");
    QTest::addColumn<QString>("words");
    QTest::newRow("not an object") << "[1, 2]"
                                   << "histogram is not an object";
    QTest::newRow("wrong unit") << R"({"unit": "us"})"
                                << "histogram.unit is not \"ns\"";
    QTest::newRow("unit not a string") << R"({"unit": 1})"
                                       << "histogram.unit is not \"ns\"";
    QTest::newRow("wrong sub_bucket_bits") << R"({"sub_bucket_bits": 7})"
                                           << "histogram.sub_bucket_bits is 7";
    QTest::newRow("wrong max_bits") << R"({"max_bits": 41})"
                                    << "histogram.max_bits is 41";
    QTest::newRow("total not a number") << R"({"total": "3"})"
                                        << "histogram.total is not a number";
    QTest::newRow("total fractional") << R"({"total": 3.5})"
                                      << "histogram.total is not an integer";
    QTest::newRow("counts not an array") << R"({"counts": {"10": 1}})"
                                         << "histogram.counts is not an array";
    QTest::newRow("index out of range") << R"({"counts": [[10, 1], [20, 1], [99999, 1]]})"
                                        << "histogram.counts[2] index 99999 is out of range";
    QTest::newRow("index negative") << R"({"counts": [[-10, 1], [20, 1], [30, 1]]})"
                                    << "histogram.counts[0] index is negative";
    QTest::newRow("index fractional") << R"({"counts": [[10.5, 1], [20, 1], [30, 1]]})"
                                      << "histogram.counts[0] index is not an integer";
    QTest::newRow("duplicate index") << R"({"counts": [[10, 1], [20, 1], [10, 1]]})"
                                     << "histogram.counts[2] index 10 is listed twice";
    QTest::newRow("negative count") << R"({"counts": [[10, 1], [20, -1], [30, 3]]})"
                                    << "histogram.counts[1] count is negative";
    QTest::newRow("fractional count") << R"({"counts": [[10, 1], [20, 0.5], [30, 1]]})"
                                      << "histogram.counts[1] count is not an integer";
    QTest::newRow("count is a string") << R"({"counts": [[10, 1], [20, "1"], [30, 1]]})"
                                       << "histogram.counts[1] count is not a number";
    QTest::newRow("pair too short") << R"({"counts": [[10, 1], [20], [30, 1]]})"
                                    << "histogram.counts[1] is not an [index, count] pair";
    QTest::newRow("pair not an array") << R"({"counts": [[10, 1], 20, [30, 1]]})"
                                       << "histogram.counts[1] is not an [index, count] pair";
    QTest::newRow("too many pairs")
        << QString("{\"counts\": [%1[0, 1]]}").arg(QString("[0, 1], ").repeated(5000))
        << "more than the 4352 buckets";
    QTest::newRow("counts do not sum to total") << R"({"total": 4})"
                                                << "histogram.counts add up to 3, but total is 4";
    QTest::newRow("counts overflow 64 bits")
        << R"({"counts": [[10, 18446744073709551615], [20, 18446744073709551615], [30, 1]]})"
        << "histogram.counts add up to more than 2^64 - 1";
    QTest::newRow("min greater than max") << R"({"min": 30, "max": 10})"
                                          << "min 30 is greater than max 10";
    QTest::newRow("min negative") << R"({"min": -1})"
                                  << "histogram.min is negative";
    QTest::newRow("max beyond trackable") << R"({"max": 1099511627776})"
                                          << "above the largest trackable value";
    QTest::newRow("min outside its bucket") << R"({"min": 5})"
                                            << "min 5 is not in the lowest non-empty bucket";
    QTest::newRow("max outside its bucket") << R"({"max": 40})"
                                            << "max 40 is not in the highest non-empty bucket";
    QTest::newRow("overflow below the limit") << R"({"overflow": 1})"
                                              << "overflow count 1";
    QTest::newRow("sum impossible") << R"({"sum": 61})"
                                    << "sum 61 is outside";
    QTest::newRow("empty with extremes") << R"({"counts": [], "total": 0, "sum": 0})"
                                         << "an empty histogram must have";
}

void TestSessionFile::histogramJsonRefusesBadInput() {
    QFETCH(QString, patch);
    QFETCH(QString, words);
    json j = small_histogram_json();
    j.merge_patch(json::parse(patch.toStdString()));
    try {
        histogram_from_json(j);
        QFAIL("accepted");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains(words), e.what());
    }
}

void TestSessionFile::histogramJsonNamesMissingFields_data() {
    QTest::addColumn<QString>("key");
    const json j = small_histogram_json();
    for (const auto& [key, value] : j.items())
        QTest::newRow(key.c_str()) << QString::fromStdString(key);
}

void TestSessionFile::histogramJsonNamesMissingFields() {
    QFETCH(QString, key);
    json j = small_histogram_json();
    j.erase(key.toStdString());
    try {
        histogram_from_json(j, "whole_run");
        QFAIL("accepted");
    } catch (const std::runtime_error& e) {
        QCOMPARE(QString(e.what()), "whole_run." + key + " is missing");
    }
}

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

void TestSessionFile::damagedFilesAreRefused_data() {
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

void TestSessionFile::damagedFilesAreRefused() {
    QFETCH(QByteArray, content);
    QFETCH(QString, words);
    const QString path = m_dir.filePath("damaged.json");
    QVERIFY(write_all(path, content));
    const QString message = load_error(path.toStdString());
    QVERIFY2(message.startsWith(path), qPrintable(message));
    QVERIFY2(message.contains(words), qPrintable(message));
}

void TestSessionFile::missingFileIsReported() {
    const std::string path = m_dir.filePath("no-such-run.json").toStdString();
    QCOMPARE(load_error(path), QString::fromStdString("cannot read " + path + ": No such file or directory"));
}

void TestSessionFile::directoryIsReported() {
    QCOMPARE(load_error(m_dir.path().toStdString()), "cannot read " + m_dir.path() + ": Is a directory");
}

void TestSessionFile::oversizedFileIsRefusedUnread() {
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

void TestSessionFile::randomDamageOnlyEverThrowsRuntimeError() {
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

QTEST_GUILESS_MAIN(TestSessionFile)
#include "tst_session_file.moc"
